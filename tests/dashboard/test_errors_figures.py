"""Figure builders and page pieces of the errors-and-bias view, without a browser, on
results the engine computes from made-up predictions (a context of plain arrays)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from dashboard.figures import errors as fig
from dashboard.tabs import errors_parts as parts
from explain_core.model_views import error_stats as st
from explain_core.model_views.errors import MISTAKES, errors


def _pass(ids, labels, probs=None, values=None):
    if values is not None:      # regression
        pred = np.asarray(values, np.float32)
        return SimpleNamespace(ids=ids, labels=labels, predictions=pred, probabilities=pred[:, None],
                               loss=(pred - labels) ** 2, X=None)
    pred = probs.argmax(1)
    loss = -np.log(probs[np.arange(len(labels)), labels])
    return SimpleNamespace(ids=ids, labels=labels, predictions=pred, probabilities=probs, loss=loss, X=None)


def fake_context(kind="tabular", task="classification", n=300, k=3, d=4, seed=0):
    """A model context of arrays: rows 0..n-1 training, n..2n-1 held-out."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2 * n, d)).astype(np.float32) if kind == "tabular" else \
        rng.random((2 * n, 1, 8, 8)).astype(np.float32)
    train_idx, test_idx = np.arange(n), np.arange(n, 2 * n)
    if task == "regression":
        y = rng.normal(100, 30, 2 * n)
        passes = {False: _pass(test_idx, y[test_idx], values=y[test_idx] + rng.normal(0, 20, n)),
                  True: _pass(train_idx, y[train_idx], values=y[train_idx] + rng.normal(0, 10, n))}
        names = ("target",)
    else:
        y = rng.integers(0, k, 2 * n)
        logits = rng.normal(size=(2 * n, k)) + 2.5 * np.eye(k)[y]
        probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        passes = {s: _pass(idx, y[idx], probs[idx]) for s, idx in ((False, test_idx), (True, train_idx))}
        names = tuple(f"class {c}" for c in range(k))
    for p in passes.values():
        p.X = X[p.ids]
    data = SimpleNamespace(kind=kind, X=X, class_names=names, feature_names=tuple(f"f{j}" for j in range(d)),
                           train_idx=train_idx, test_idx=test_idx)
    return SimpleNamespace(model_id="fake", data=data, head=SimpleNamespace(task=task),
                           held_out=lambda train=False: passes[bool(train)])


@pytest.fixture
def result():
    return errors(fake_context(), bins=4)


def test_confusion_figure_counts_and_shares(result):
    f = fig.confusion_figure(result)
    heat = f.data[0]
    np.testing.assert_array_equal(np.asarray(heat.z), result.confusion)
    custom = np.asarray(heat.customdata)
    assert custom.shape == (3, 3, 4)
    assert custom[1, 2, 0] == 1 and custom[1, 2, 1] == 2 and custom[1, 2, 2] == result.confusion[1, 2]
    wrong = int(result.confusion.sum() - np.trace(result.confusion))
    assert f.layout.title.text.startswith(f"Confusion matrix: {wrong} of 300")
    share = fig.confusion_figure(result, normalised=True).data[0]
    np.testing.assert_allclose(np.asarray(share.z).sum(axis=1), 1.0)
    assert share.text[0][0].endswith("%")


def test_fit_figure_bars_and_gap_title(result):
    f = fig.fit_figure(result)
    acc, loss = f.data
    assert list(acc.x) == ["training", "held-out"] and acc.xaxis == "x" and loss.xaxis == "x2"
    np.testing.assert_allclose(acc.y, [100 * result.train.accuracy, 100 * result.held_out.accuracy])
    np.testing.assert_allclose(loss.y, [result.train.loss, result.held_out.loss])
    claim, numbers = fig.split_gap(result.gap)
    assert f.layout.title.text == claim and numbers in f.layout.title.subtitle.text
    assert result.gap == f"{claim} ({numbers})."


def test_reliability_figure(result):
    f = fig.reliability_figure(result)
    points = next(t for t in f.data if t.name == "model")
    full = result.bin_counts > 0
    np.testing.assert_allclose(points.x, result.bin_confidence[full])
    np.testing.assert_allclose(points.y, result.bin_accuracy[full])
    bars = next(t for t in f.data if t.name == "samples per bin")
    assert sum(bars.y) == 300
    assert f.layout.title.text == f"Calibration error (ECE) {100 * result.ece:.1f}%"


def test_slices_figure_marks_the_worst_bin(result):
    s = result.slices
    f = fig.slices_figure(result)
    bars = f.data[0]
    assert list(bars.x) == fig.slice_labels(s.edges) and len(bars.x) == 4
    np.testing.assert_allclose(bars.y, 100 * s.score)
    worst = int(np.argmin(s.score))
    assert bars.marker.color[worst] == fig.HIGHLIGHT and list(bars.marker.color).count(fig.HIGHLIGHT) == 1
    assert f.data[1].y[0] == pytest.approx(100 * result.held_out.accuracy)


def test_slice_labels():
    assert fig.slice_labels([0.5, 1.25, 3.0]) == ["[0.5, 1.25]", "(1.25, 3]"]


def test_residual_figure():
    r = errors(fake_context(task="regression"), bins=5)
    f = fig.residual_figure(r)
    held = [t for t in f.data if t.name == "held-out"]
    np.testing.assert_array_equal(held[0].customdata, r.ids)
    np.testing.assert_allclose(held[1].y, r.predicted - r.true)
    hist = next(t for t in f.data if t.type == "histogram")
    np.testing.assert_allclose(hist.x, r.residuals)
    assert f"R² {r.held_out.r2:.3f}" in f.layout.title.text
    fit = fig.fit_figure(r)
    assert fit.data[0].y[1] == pytest.approx(r.held_out.mae)
    assert fit.layout.title.text == fig.split_gap(r.gap)[0] and r.gap.startswith(fit.layout.title.text)
    assert r.largest.score[0] == pytest.approx(np.abs(r.residuals).max())
    assert len(r.largest.ids) == MISTAKES


def test_metrics_table_rows(result):
    table = parts.metrics_table(result)
    rows = table.children[1].children
    assert len(rows) == 3 + 2       # classes, macro average, accuracy
    weakest = int(np.argmin(result.f1))
    assert rows[weakest].className == "weakest"
    assert rows[0].children[1].children == f"{100 * result.precision[0]:.1f}%"


def test_mistakes_gallery_for_images_and_table_for_rows():
    img = errors(fake_context(kind="image"))
    gallery = parts.mistakes_gallery(img)
    assert len(gallery.children) == len(img.mistakes.ids)
    first = gallery.children[0]
    assert first.id == {"type": "errors-mistake", "index": int(img.mistakes.ids[0])}
    assert first.children[0].src.startswith("data:image/png;base64,")
    tab = errors(fake_context(), bins=3)
    table = parts.mistakes_table(tab)
    assert [r["id"] for r in table.data] == [int(i) for i in tab.mistakes.ids]
    assert table.columns[4]["id"] == f"f{tab.slices.feature}"      # the slice feature first
    assert table.data[0]["score"] == pytest.approx(round(100 * tab.mistakes.score[0], 1))


def test_gap_in_headline(result):
    stats = parts.headline(result)
    assert stats.children[2].children[1].children == f"{100 * (result.train.accuracy - result.held_out.accuracy):+.1f} points"


def test_no_mistakes_says_so():
    ctx = fake_context(n=50)
    p = ctx.held_out()
    p.probabilities = np.eye(3)[p.labels] * 0.9 + 0.1 / 3
    p.predictions = p.labels.copy()
    r = errors(ctx, bins=3)
    assert r.n_wrong == 0 and len(r.mistakes.ids) == 0
    block = parts.mistakes_block(r)
    assert "No held-out sample is misclassified" in block[1].children
    assert st.accuracy_gap(r.train.accuracy, 1.0) == r.gap
