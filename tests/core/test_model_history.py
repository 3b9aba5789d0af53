"""Training history and per-layer statistics (issue 9 views 2 and 3): histograms count every
value once, the recorder leaves training as it was, the stored history agrees with the
model card, dead units are found on a network built with known dead units."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings as hsettings, strategies as st
from torch import nn

from explain_core import ExplanationService, Settings
from explain_core.data.arrays import from_arrays
from explain_core.models.histograms import exact_histogram, fine_histogram, shared_histograms
from explain_core.models.history import HistoryRecorder
from explain_core.models.store import content_hash
from explain_core.models.store_history import load_history, save_history
from explain_core.models.training import train
from explain_core.models.zoo import DEFAULT_SPECS


# ------------------------------------------------------------------------- histograms
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=32), min_size=1, max_size=300))
@hsettings(max_examples=60, deadline=None)
def test_exact_histogram_counts_every_value_as_numpy_does(xs):
    a = np.array(xs, np.float32)
    edges, counts = exact_histogram(a)
    assert counts.sum() == a.size
    if a.max() > a.min():
        ref, ref_edges = np.histogram(a, bins=40, range=(float(a.min()), float(a.max())))
        assert np.allclose(edges, ref_edges)
        assert (counts == ref).all()


def test_histograms_leave_out_nan_and_infinities():
    edges, counts = exact_histogram(np.array([1.0, np.nan, 2.0, np.inf, -np.inf, 3.0]))
    assert counts.sum() == 3 and edges[0] == 1.0 and edges[-1] == 3.0


@given(st.lists(st.lists(st.floats(-100, 100, allow_nan=False, width=32), min_size=1, max_size=200),
                min_size=1, max_size=6))
@hsettings(max_examples=40, deadline=None)
def test_shared_edges_count_every_epochs_values_once(epochs):
    fines = [fine_histogram(torch.tensor(e)) for e in epochs]
    edges, counts, beyond = shared_histograms(fines)
    assert counts.shape == (len(epochs), 40) and len(edges) == 41
    assert (counts.sum(1) == [len(e) for e in epochs]).all()
    # values beyond the robust range sit in the end bins, and are counted as such
    for e, row, b in zip(epochs, counts, beyond):
        outside = sum(1 for v in e if v < edges[0] - 1e-3 * (edges[-1] - edges[0] + 1)
                      or v > edges[-1] + 1e-3 * (edges[-1] - edges[0] + 1))
        assert b >= outside and row[0] + row[-1] >= b


def test_shared_edges_put_each_value_within_one_fine_bin_of_its_own():
    rng = np.random.default_rng(0)
    epochs = [rng.normal(0, 1 + k, 5000).astype(np.float32) for k in range(3)]
    edges, counts, _ = shared_histograms([fine_histogram(torch.tensor(e)) for e in epochs])
    for e, row in zip(epochs, counts):
        ref, _ = np.histogram(np.clip(e, edges[0], edges[-1]), bins=edges)
        # a fine bin is 1/1024 of the epoch's range: only values that close to a coarse edge move
        assert np.abs(ref - row).sum() <= 0.02 * len(e)


# ------------------------------------------------------------------------- the recorder
def _blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = (rng.normal(0, 1, (n, 4)) + np.eye(3, 4)[y] * 3).astype(np.float32)
    return X, y


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def test_recording_leaves_the_trained_weights_as_they_were_and_has_one_row_per_epoch():
    X, y = _blobs()
    Xtr, ytr, Xte, yte = X[:200], y[:200], X[200:], y[200:]
    plain = train(_net(), Xtr, ytr, epochs=4, batch_size=32, seed=1)
    rec = HistoryRecorder(Xtr, ytr, Xte, yte)
    recorded = train(_net(), Xtr, ytr, epochs=4, batch_size=32, seed=1, on_epoch=rec)
    assert content_hash(plain) == content_hash(recorded)
    h = rec.history(content_hash(recorded))
    assert list(h.epochs) == [1, 2, 3, 4]
    assert all(len(v) == 4 for v in h.metrics.values())
    with torch.no_grad():
        acc = float((recorded(torch.as_tensor(Xte)).argmax(1).numpy() == yte).mean())
    assert h.metrics["test_accuracy"][-1] == acc
    # weights of both Linear layers, activations of all three layers, gradients of both weights
    assert {(s.layer, s.kind) for s in h.series} == {("0", "weights"), ("2", "weights"), ("0", "gradients"),
                                                     ("2", "gradients"), ("0", "activations"),
                                                     ("1", "activations"), ("2", "activations")}
    w = h.of("0", "weights")
    assert (w.counts.sum(1) == 32).all() and np.isclose(w.lo[-1], float(recorded[0].weight.detach().min()))
    assert (h.of("1", "activations").counts.sum(1) == 100 * 8).all()      # 100 held-out rows x 8 units


def test_history_survives_the_store(tmp_path):
    X, y = _blobs()
    rec = HistoryRecorder(X[:200], y[:200], X[200:], y[200:])
    train(_net(), X[:200], y[:200], epochs=2, batch_size=64, on_epoch=rec)
    h = rec.history("abc")
    save_history(tmp_path, h)
    back = load_history(tmp_path)
    assert back.weights_hash == "abc" and list(back.metrics) == list(h.metrics)
    assert all(np.array_equal(back.metrics[k], h.metrics[k], equal_nan=True) for k in h.metrics)
    for a, b in zip(h.series, back.series):
        assert (a.layer, a.kind) == (b.layer, b.kind) and np.array_equal(a.counts, b.counts)
    assert load_history(tmp_path / "missing") is None
    (tmp_path / "history.npz").write_bytes(b"not an npz")
    assert load_history(tmp_path) is None          # unreadable: None (and logged), not a crash


# ----------------------------------------------------------------- the zoo and its store
@pytest.mark.slow
@pytest.mark.parametrize("model_id", ["mnist-cnn", "wine-mlp", "seed-binary-mlp", "diabetes-mlp"])
def test_a_zoo_models_history_has_one_row_per_epoch_and_ends_at_its_card(service, model_id):
    view = service.model_view(model_id, "training-history")
    info = service.model_info(model_id)
    spec = next(s for s in DEFAULT_SPECS if s.model_id == model_id)
    assert view.recorded and len(view.history.epochs) == spec.train["epochs"]
    assert list(view.history.epochs) == list(range(1, spec.train["epochs"] + 1))
    m = view.history.metrics
    if info.task == "regression":
        assert m["test_r2"][-1] == pytest.approx(info.r2, abs=1e-6)
        assert m["test_mae"][-1] == pytest.approx(info.mae, rel=1e-6)
    else:
        assert m["test_accuracy"][-1] == info.accuracy
    for s in view.history.series:
        assert s.counts.shape == (len(view.history.epochs), 40)
        assert len(set(s.counts.sum(1))) == 1      # the same number of values every epoch


# ------------------------------------------------------------------------ layers now
def _service(tmp_path) -> ExplanationService:
    return ExplanationService(Settings(model_store=tmp_path / "models", cache_dir=tmp_path / "cache",
                                       cache_type="simple"), specs=())


def _dead_net() -> nn.Module:
    """Inputs in [0, 1]². Hidden unit 0: x0 + x1 + 1 > 0 always (always on); unit 1:
    −x0 − x1 − 1 < 0 always (dead); unit 2: x0 − 0.5 (fires on some rows only); unit 3:
    weights 0, bias −1 (dead)."""
    net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, 0.0], [0.0, 0.0]]))
        net[0].bias.copy_(torch.tensor([1.0, -1.0, -0.5, -1.0]))
        net[2].weight.copy_(torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, -1.0, 0.0]]))
        net[2].bias.zero_()
    return net.eval()


def test_dead_and_always_on_units_of_a_hand_made_network(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (200, 2)).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(np.int64)
    svc = _service(tmp_path)
    mid = svc.add_model(_dead_net(), from_arrays("square", X, y, ("low", "high")), model_id="dead-net")
    stats = svc.model_view(mid, "layer-stats")
    relu = stats.layer("1")
    assert (relu.units, relu.dead, relu.always_on, relu.dead_units) == (4, 2, 1, (1, 3))
    assert relu.zero_share == pytest.approx((2 * 200 + int((X[:, 0] <= 0.5).sum())) / 800)
    first = stats.layer("0")
    assert first.weights.n == 8 and first.biases.n == 4 and first.activations.n == 200 * 4
    assert first.gradients.n == 8 and first.dead is None and first.params == 12
    assert stats.layer("2").activations.counts.sum() == 200 * 2 and stats.rows == 200
    # a model given from Python has no history: its final state stands in, and says so
    view = svc.model_view(mid, "training-history")
    assert not view.recorded and "outside Glimpse" in view.note and len(view.history.epochs) == 0
    assert view.history.of("0", "biases").counts.sum() == 4


def test_gradients_vanish_where_the_model_fits_every_row(tmp_path):
    """A regression net that is exact on its data: every weight's gradient of the loss is 0."""
    rng = np.random.default_rng(1)
    X = rng.normal(0, 1, (100, 3)).astype(np.float32)
    w = np.array([2.0, -1.0, 0.5], np.float32)
    net = nn.Sequential(nn.Linear(3, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor(w[None, :]))
        net[0].bias.fill_(0.25)
    svc = _service(tmp_path)
    data = from_arrays("exact", X, (X @ w + 0.25).astype(np.float32), ("y",), task="regression")
    mid = svc.add_model(net.eval(), data, model_id="exact-net")
    g = svc.model_view(mid, "layer-stats").layer("0").gradients
    assert g.n == 3 and abs(g.edges[0]) < 1e-5 and abs(g.edges[-1]) < 1e-5
