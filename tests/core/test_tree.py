"""The distilled decision tree: faithful to the network, honest paths, readable rules."""
from __future__ import annotations

import dataclasses
import pickle
import re

import numpy as np
import pytest
import torch
from sklearn.tree import DecisionTreeClassifier

from explain_core.errors import ParameterError
from explain_core.methods.tree import DistilledTree, TreeExplanation

MID = "breast-cancer-mlp"


def _fit(service, model_id, depth, **kw):
    d = service.dataset_for(model_id)
    return DistilledTree(max_depth=depth, seed=0, feature_names=d.feature_names,
                         class_names=d.class_names, **kw).fit(service.torch_model(model_id), d.X_train, d.X_test, d.y_test)


@pytest.fixture(scope="module")
def trees(service):
    return {depth: _fit(service, MID, depth) for depth in (2, 4, 6)}


def _network(service, model_id, X):
    with torch.no_grad():
        return service.torch_model(model_id)(torch.as_tensor(X)).argmax(1).numpy()


def test_fidelity_on_breast_cancer(trees):
    assert trees[4].fidelity_ >= 0.93


def test_tree_is_fitted_to_the_network_and_scores_are_right(service, trees):
    d = service.dataset_for(MID)
    t = trees[4]
    net_train = _network(service, MID, d.X_train)
    plain = _fit(service, MID, 4, n_synthetic=0)
    same = DecisionTreeClassifier(max_depth=4, random_state=0).fit(d.X_train, net_train)
    np.testing.assert_array_equal(plain.tree_.tree_.threshold, same.tree_.threshold)
    np.testing.assert_array_equal(plain.tree_.tree_.feature, same.tree_.feature)
    # the default adds network-labelled jittered rows, so its tree differs from the plain one
    assert t.tree_.tree_.n_node_samples[0] == 5 * len(d.X_train)
    assert t.fidelity_ >= plain.fidelity_
    net_test, tree_test = _network(service, MID, d.X_test), t.tree_.predict(d.X_test)
    assert t.fidelity_ == pytest.approx(np.mean(net_test == tree_test))
    assert t.accuracy_ == pytest.approx(np.mean(tree_test == d.y_test))
    assert t.network_accuracy_ == pytest.approx(np.mean(net_test == d.y_test))
    assert t.network_accuracy_ == pytest.approx(service.model_info(MID).accuracy, abs=1e-6)


def test_deeper_trees_fit_the_network_at_least_as_well(trees):
    assert trees[2].train_fidelity_ <= trees[4].train_fidelity_ <= trees[6].train_fidelity_
    assert trees[6].tree_.get_depth() > trees[2].tree_.get_depth()


@pytest.mark.parametrize("row", [0, 5, 17, 60, 100])
def test_path_runs_from_root_to_the_predicted_leaf(service, trees, row):
    d = service.dataset_for(MID)
    t = trees[4]
    x = d.X_test[row]
    e = t.explain(x)
    assert e.path[0] == 0 and e.path[-1] == e.leaf
    assert e.leaf == t.tree_.apply(x[None])[0]
    for parent, child in zip(e.path[:-1], e.path[1:]):    # each step follows the split rule
        go_left = x[e.feature[parent]] <= e.threshold[parent]
        assert child == (e.children_left[parent] if go_left else e.children_right[parent])
    assert e.children_left[e.leaf] == -1
    assert e.prediction == int(np.argmax(e.value[e.leaf])) == int(t.tree_.predict(x[None])[0])
    assert e.network_prediction == int(service.samples(MID).predictions[d.test_idx[row]])
    assert e.node_labels[e.leaf].startswith(f"class {d.class_names[e.prediction]} (")


def test_structure_arrays_and_labels(service, trees):
    d = service.dataset_for(MID)
    e = trees[4].explain(d.X_test[0])
    n = trees[4].tree_.tree_.node_count
    for name in ("children_left", "children_right", "feature", "threshold", "n_node_samples", "impurity"):
        assert getattr(e, name).shape == (n,)
    assert e.value.shape == (n, 2)
    np.testing.assert_allclose(e.value.sum(1), 1.0)
    assert e.n_node_samples[0] == 5 * len(d.X_train)  # training rows + 4 jittered copies each
    assert len(e.node_labels) == n
    root = e.node_labels[0]
    assert root == f"{d.feature_names[e.feature[0]]} ≤ {e.threshold[0]:.3g}"
    assert (e.fidelity, e.accuracy, e.max_depth) == (trees[4].fidelity_, trees[4].accuracy_, 4)


def test_rules_use_real_feature_names(service, trees):
    d = service.dataset_for(MID)
    rules = trees[4].rules_
    root_name = d.feature_names[trees[4].tree_.tree_.feature[0]]
    assert rules.startswith(f"|--- {root_name} <=")
    assert "feature_" not in rules
    assert any(f"class: {c}" in rules for c in d.class_names)


def test_explanation_is_frozen_and_picklable(service, trees):
    e = trees[4].explain(service.dataset_for(MID).X_test[0])
    assert isinstance(e, TreeExplanation)
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.leaf = 0
    with pytest.raises(ValueError):
        e.threshold[0] = 1.0
    back = pickle.loads(pickle.dumps(e))
    np.testing.assert_array_equal(back.path, e.path)
    np.testing.assert_array_equal(back.value, e.value)
    assert back.rules == e.rules and back.node_labels == e.node_labels


def test_service_serves_the_tree(service):
    e = service.explain(MID, 7, "tree", max_depth=3)
    assert isinstance(e, TreeExplanation) and e.max_depth == 3
    assert service.explain(MID, 7, "tree", max_depth=3) is not None
    assert service.cached(MID, 7, "tree", max_depth=3)


def test_bad_depth():
    with pytest.raises(ParameterError):
        DistilledTree(max_depth=0).fit(None, np.zeros((2, 3)), np.zeros((2, 3)), np.zeros(2))


def test_mnist_cnn_tree(service):
    t = _fit(service, "mnist-cnn", 8)
    assert 0.6 <= t.fidelity_ <= 1.0     # measured 0.79; chance agreement is about 0.1
    assert t.tree_.get_depth() == 8
    assert re.search(r"px\(\d+,\d+\) <=", t.rules_)
    e = t.explain(service.dataset_for("mnist-cnn").X_test[0])
    assert re.fullmatch(r"px\(\d+,\d+\) ≤ .+", e.node_labels[0])
    assert e.value.shape[1] == 10
    assert e.path[0] == 0 and e.path[-1] == e.leaf
