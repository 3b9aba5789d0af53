"""Counterfactuals of table rows: each alternative reaches the goal, changes few features,
keeps every value within the training range, leaves fixed features alone; a linear model
gives the change worked out by hand."""
import numpy as np
import pytest
import torch

from explain_core.errors import ParameterError
from explain_core.robustness.counterfactual import counterfactuals, number
from explain_core.robustness.space import Goal
from tests.core.test_robustness_attacks import B, W, linear_case

TABLES = ("breast-cancer-mlp", "wine-mlp", "seed-binary-mlp", "known-truth-mlp")


def predict(service, model_id, row):
    with torch.no_grad():
        return service.explained_model(model_id)(torch.as_tensor(np.asarray(row, np.float32)[None]))[0].numpy()


@pytest.mark.parametrize("model_id", TABLES)
def test_every_alternative_flips_stays_in_range_and_is_sparse(service, model_id):
    data = service.dataset_for(model_id)
    lo, hi = data.X_train.min(0), data.X_train.max(0)
    for i in data.test_idx[:3]:
        cfs = service.robustness(model_id, "counterfactuals", int(i))
        assert cfs.alternatives, (model_id, i)
        before = int(np.argmax(predict(service, model_id, data.X[i])))
        assert before == int(cfs.prediction)
        keys = set()
        for c in cfs.alternatives:
            assert int(np.argmax(predict(service, model_id, c.row))) != before
            assert 1 <= len(c.features) <= 5
            changed = np.flatnonzero(c.row != data.X[i])
            assert sorted(changed) == sorted(c.features)
            inside = (c.row >= np.minimum(lo, data.X[i]) - 1e-6) & (c.row <= np.maximum(hi, data.X[i]) + 1e-6)
            assert inside.all()
            keys.add(c.features)
            assert cfs.sentence(c).startswith("If ") and data.feature_names[c.features[0]] in cfs.sentence(c)
        assert len(keys) == len(cfs.alternatives)              # diverse: no two change the same features


def test_fixed_features_are_left_alone(service):
    data = service.dataset_for("breast-cancer-mlp")
    i = int(data.test_idx[1])
    first = service.robustness("breast-cancer-mlp", "counterfactuals", i)
    used = sorted({f for c in first.alternatives for f in c.features})
    names = [data.feature_names[f] for f in used[:3]]
    fixed = service.robustness("breast-cancer-mlp", "counterfactuals", i, fixed=names)
    assert fixed.fixed == tuple(sorted(used[:3]))
    for c in fixed.alternatives:
        assert not set(c.features) & set(used[:3])
        np.testing.assert_array_equal(c.row[used[:3]], data.X[i][used[:3]])


def test_a_linear_model_moves_its_heaviest_feature_just_past_the_boundary():
    """z = 2a − b + 0.5c − 0.25 at (0.9, −0.2, 0.3): 1.9. One feature can flip it; a (weight
    2 over unit std) needs the smallest move: a to (0.25 − (−b·1) − 0.5c)/2 = −0.05."""
    data, model = linear_case()
    x = np.array([0.9, -0.2, 0.3], np.float32)
    cfs = counterfactuals(model, data, x, Goal("sigmoid"), 1, n_alternatives=3)
    best = cfs.alternatives[0]
    assert best.features == (0,)
    assert best.after[0] == pytest.approx((0.25 - 0.2 - 0.15) / 2, abs=0.01)
    assert best.after[0] <= (0.25 - 0.2 - 0.15) / 2 + 1e-6          # just past, not short of it
    assert {c.features for c in cfs.alternatives} >= {(0,), (1,)}
    assert float(np.asarray(best.row) @ W + B) < 0


def test_regression_counterfactual_reaches_the_value(service):
    cfs = service.robustness("diabetes-mlp", "counterfactuals", 7, delta=30.0)
    assert cfs.alternatives
    for c in cfs.alternatives:
        assert c.prediction >= cfs.prediction + 30.0 - 1e-3
    assert "the model would predict" in cfs.sentence(cfs.alternatives[0])


@pytest.mark.parametrize("params", [{"fixed": ["no such feature"]}, {"fixed": "mean radius"}, {"fixed": [99]},
                                    {"n_alternatives": 0}, {"max_features": "x"}, {"eps": 1}])
def test_bad_counterfactual_settings_are_named(service, params):
    with pytest.raises(ParameterError):
        service.robustness("breast-cancer-mlp", "counterfactuals", 0, **params)


def test_images_have_no_counterfactuals(service):
    with pytest.raises(ParameterError, match="table rows"):
        service.robustness("mnist-cnn", "counterfactuals", 0)


def test_numbers_read_like_a_person_wrote_them():
    assert [number(v) for v in (14.08, 0.07123, 1480.2, 0, -0.00012)] == ["14.1", "0.0712", "1,480", "0", "-0.00012"]
