"""Errors and bias (explain_core/model_views/errors.py): every number against scikit-learn
(or pandas, or a case worked out by hand) on the same predictions."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import (confusion_matrix, log_loss, mean_absolute_error, precision_recall_fscore_support,
                             r2_score, root_mean_squared_error)

from explain_core.errors import GlimpseError
from explain_core.model_views import error_stats as st
from explain_core.model_views.errors import MISTAKES
from explain_core.model_views.run import context

CLASSIFIERS = ("mnist-cnn", "breast-cancer-mlp", "seed-binary-mlp", "wine-mlp")


def passes(service, model_id):
    ctx = context(service, model_id)
    return ctx.held_out(), ctx.held_out(train=True)


@pytest.mark.parametrize("model_id", CLASSIFIERS)
def test_confusion_and_per_class_metrics_equal_sklearn(service, model_id):
    r = service.model_view(model_id, "errors")
    test, _ = passes(service, model_id)
    k = len(r.class_names)
    labels = list(range(k))
    np.testing.assert_array_equal(r.confusion, confusion_matrix(test.labels, test.predictions, labels=labels))
    p, rc, f1, support = precision_recall_fscore_support(test.labels, test.predictions, labels=labels,
                                                         zero_division=0)
    np.testing.assert_allclose(r.precision, p, atol=1e-12)
    np.testing.assert_allclose(r.recall, rc, atol=1e-12)
    np.testing.assert_allclose(r.f1, f1, atol=1e-12)
    np.testing.assert_array_equal(r.support, support)
    np.testing.assert_allclose(r.normalised, confusion_matrix(test.labels, test.predictions, labels=labels,
                                                              normalize="true"), atol=1e-12)


def test_binary_single_logit_model_has_two_classes(service):
    r = service.model_view("seed-binary-mlp", "errors")
    assert r.confusion.shape == (2, 2) and len(r.precision) == 2
    assert r.confusion.sum() == r.held_out.n


@pytest.mark.parametrize("model_id", CLASSIFIERS)
def test_calibration_equals_sklearn_calibration_curve(service, model_id):
    r = service.model_view(model_id, "errors")
    test, _ = passes(service, model_id)
    conf = test.probabilities.max(axis=1).astype(np.float64)
    correct = (test.predictions == test.labels).astype(int)
    prob_true, prob_pred = calibration_curve(correct, conf, n_bins=10, strategy="uniform")
    full = r.bin_counts > 0
    np.testing.assert_allclose(r.bin_accuracy[full], prob_true, atol=1e-12)
    np.testing.assert_allclose(r.bin_confidence[full], prob_pred, atol=1e-12)
    assert r.bin_counts.sum() == len(conf)
    assert np.isnan(r.bin_accuracy[~full]).all()
    ece = np.sum(r.bin_counts[full] / len(conf) * np.abs(prob_true - prob_pred))
    assert r.ece == pytest.approx(ece, abs=1e-12)


def test_ece_worked_out_by_hand():
    # bin (0.9, 1]: two samples, mean confidence 0.95, one right  -> |0.5 - 0.95| = 0.45, weight 2/5
    # bin (0.6, 0.7]: 0.62, 0.68 and 0.7 (an edge belongs to the bin below), all right
    #                 -> mean 2/3, |1 - 2/3| = 1/3, weight 3/5
    conf = np.array([0.95, 0.95, 0.62, 0.68, 0.7])
    correct = np.array([1, 0, 1, 1, 1])
    edges, mean_conf, acc, counts, ece = st.reliability(conf, correct)
    assert counts.tolist() == [0, 0, 0, 0, 0, 0, 3, 0, 0, 2]
    assert mean_conf[9] == pytest.approx(0.95) and acc[9] == 0.5
    assert mean_conf[6] == pytest.approx(2 / 3) and acc[6] == 1.0
    assert ece == pytest.approx(2 / 5 * 0.45 + 3 / 5 * (1 / 3))   # = 0.38


def test_perfectly_calibrated_case_has_zero_ece():
    conf = np.array([0.75] * 4)
    _, _, _, _, ece = st.reliability(conf, np.array([1, 1, 1, 0]))
    assert ece == pytest.approx(0.0)


@pytest.mark.parametrize("model_id", CLASSIFIERS)
def test_train_vs_held_out_accuracy_and_loss(service, model_id):
    r = service.model_view(model_id, "errors")
    test, train = passes(service, model_id)
    k = len(r.class_names)
    for fit, p in ((r.train, train), (r.held_out, test)):
        assert fit.accuracy == pytest.approx(np.mean(p.predictions == p.labels))
        assert fit.loss == pytest.approx(log_loss(p.labels, p.probabilities, labels=list(range(k))), rel=1e-4,
                                         abs=1e-6)
        assert fit.n == len(p.ids)
    assert r.train.n_total == len(service._model(model_id).data.train_idx)
    assert r.gap == st.accuracy_gap(r.train.accuracy, r.held_out.accuracy)


def test_gap_sentence():
    assert st.accuracy_gap(0.983, 0.902) == ("Fits training data 8.1 points better than held-out "
                                             "(accuracy 98.3% on training data, 90.2% held-out).")
    assert st.accuracy_gap(0.90, 0.92).startswith("Does 2.0 points better on held-out data than on training data")
    assert st.accuracy_gap(0.95, 0.9502).startswith("Fits training and held-out data equally well")
    assert st.error_gap(50.0, 57.0) == ("Fits training data better than held-out (RMSE 50 on training data, "
                                        "57 held-out: 14% larger held-out).")
    assert st.error_gap(50.0, 45.0).startswith("Does better on held-out data")


@pytest.mark.parametrize("model_id", CLASSIFIERS)
def test_most_confident_mistakes(service, model_id):
    r = service.model_view(model_id, "errors")
    test, _ = passes(service, model_id)
    conf = test.probabilities.max(axis=1)
    wrong = test.predictions != test.labels
    m = r.mistakes
    assert len(m.ids) == min(MISTAKES, int(wrong.sum())) == min(MISTAKES, r.n_wrong)
    assert np.all(np.diff(m.score) <= 0)
    pos = np.searchsorted(test.ids, m.ids)
    assert np.all(test.ids[pos] == m.ids) and wrong[pos].all()
    np.testing.assert_array_equal(m.true, test.labels[pos])
    np.testing.assert_array_equal(m.predicted, test.predictions[pos])
    np.testing.assert_allclose(m.score, conf[pos])
    if len(m.ids) == MISTAKES and wrong.sum() > MISTAKES:   # none left out is surer than the last one shown
        rest = np.setdiff1d(np.flatnonzero(wrong), pos)
        assert conf[rest].max() <= m.score[-1]
    np.testing.assert_array_equal(m.X, service._model(model_id).data.X[m.ids])


def test_slices_equal_pandas_qcut_groupby(service):
    model_id = "breast-cancer-mlp"
    names = service._model(model_id).data.feature_names
    r = service.model_view(model_id, "errors", feature=names[3], bins=4)
    test, _ = passes(service, model_id)
    x = test.X[:, 3].astype(np.float64)
    correct = (test.predictions == test.labels).astype(float)
    codes, edges = pd.qcut(x, 4, labels=False, retbins=True, duplicates="drop")
    grouped = pd.Series(correct).groupby(codes).agg(["mean", "size"])
    s = r.slices
    assert s.feature == 3 and s.name == names[3] and s.picked
    np.testing.assert_allclose(s.edges, edges)
    np.testing.assert_allclose(s.score, grouped["mean"].to_numpy())
    np.testing.assert_array_equal(s.counts, grouped["size"].to_numpy())
    assert service.model_view(model_id, "errors", feature=3, bins=4).slices.feature == 3


def test_default_slice_feature_is_the_one_whose_slices_differ_most(service):
    r = service.model_view("known-truth-mlp", "errors")
    s = r.slices
    assert not s.picked and s.feature == int(np.argmax(s.spreads))
    assert s.spreads[s.feature] == pytest.approx(st.spread(s.score, s.counts))
    assert service.model_view("mnist-cnn", "errors").slices is None


def test_quantile_bins_of_few_values_and_a_constant():
    edges, which = st.quantile_bins(np.array([0, 0, 0, 1, 1, 1, 1, 1.0]), 5)
    codes = pd.qcut(np.array([0, 0, 0, 1, 1, 1, 1, 1.0]), 5, labels=False, duplicates="drop")
    np.testing.assert_array_equal(which, codes)
    edges, means, counts = st.slice_scores(np.ones(6), np.array([1, 0, 1, 1, 0, 1.0]), 5)
    assert counts.tolist() == [6] and means[0] == pytest.approx(4 / 6)


def test_regression_residuals_and_scores_equal_sklearn(service):
    r = service.model_view("diabetes-mlp", "errors")
    test, train = passes(service, "diabetes-mlp")
    assert r.task == "regression"
    for fit, p in ((r.train, train), (r.held_out, test)):
        assert fit.mae == pytest.approx(mean_absolute_error(p.labels, p.predictions), rel=1e-6)
        assert fit.rmse == pytest.approx(root_mean_squared_error(p.labels, p.predictions), rel=1e-6)
        assert fit.r2 == pytest.approx(r2_score(p.labels, p.predictions), rel=1e-6)
    np.testing.assert_allclose(r.residuals, test.predictions.astype(float) - test.labels.astype(float))
    errors = np.abs(r.residuals)
    assert np.all(np.diff(r.largest.score) <= 0) and r.largest.score[0] == pytest.approx(errors.max())
    assert r.gap == st.error_gap(r.train.rmse, r.held_out.rmse)
    assert r.slices.metric == "mean absolute error"


@pytest.mark.parametrize("model_id, params, message", [
    ("mnist-mlp", {"feature": 0}, "tabular models"),
    ("mnist-mlp", {"bins": 3}, "tabular models"),
    ("mnist-mlp", {"colour": "red"}, "takes feature and bins"),
    ("breast-cancer-mlp", {"feature": "no such column"}, "Unknown feature"),
    ("breast-cancer-mlp", {"feature": 30}, "feature must be"),
    ("breast-cancer-mlp", {"feature": -1}, "feature must be"),
    ("breast-cancer-mlp", {"feature": 1.5}, "feature must be"),
    ("breast-cancer-mlp", {"feature": True}, "feature must be"),
    ("breast-cancer-mlp", {"bins": 1}, "bins must be"),
    ("breast-cancer-mlp", {"bins": 11}, "bins must be"),
    ("breast-cancer-mlp", {"bins": "5; drop"}, "bins must be"),
])
def test_bad_params(service, model_id, params, message):
    with pytest.raises(GlimpseError, match=message):
        service.model_view(model_id, "errors", **params)
