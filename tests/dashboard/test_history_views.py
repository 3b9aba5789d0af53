"""The training-history and layers views as plain functions: figure builders on recorded
histories and on a hand-made network, the tabs' render functions, their bad inputs."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dashboard.figures.history import MAX_RIDGES, layer_figure, loss_figure, ridgeline_figure, score_figure
from dashboard.tabs import layers as layers_tab, training as training_tab
from explain_core import ExplanationService, Settings
from explain_core.data.arrays import from_arrays
from explain_core.models.history import HistoryRecorder
from explain_core.models.training import train


def _recorded(epochs=4, loss="cross_entropy"):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 240) if loss == "cross_entropy" else rng.normal(0, 1, 240).astype(np.float32)
    X = rng.normal(0, 1, (240, 4)).astype(np.float32)
    if loss == "cross_entropy":
        X += np.eye(3, 4, dtype=np.float32)[y] * 2
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3 if loss == "cross_entropy" else 1))
    rec = HistoryRecorder(X[:160], y[:160], X[160:], y[160:], loss)
    train(net, X[:160], y[:160], epochs=epochs, batch_size=32, loss=loss, on_epoch=rec)
    return rec.history("h")


def test_curves_end_at_the_recorded_values():
    h = _recorded()
    loss, score = loss_figure(h), score_figure(h)
    held = next(t for t in loss.data if t.name == "held-out")
    assert list(held.y) == list(h.metrics["test_loss"]) and list(held.x) == [1, 2, 3, 4]
    acc = next(t for t in score.data if t.name == "held-out")
    assert acc.y[-1] == h.metrics["test_accuracy"][-1]
    assert f"{h.metrics['test_accuracy'][-1]:.1%}" in score.layout.title.subtitle.text
    best = int(np.argmin(h.metrics["test_loss"])) + 1
    assert f"epoch {best}" in loss.layout.title.subtitle.text


def test_regression_curves_show_mae_and_r2():
    h = _recorded(3, "mse")
    fig = score_figure(h)
    assert {t.name for t in fig.data} == {"training (160 rows)", "held-out"} and "R²" in fig.layout.title.subtitle.text


def test_a_ridgeline_has_one_curve_per_epoch_on_the_shared_edges():
    h = _recorded(5)
    s = h.of("0", "weights")
    fig = ridgeline_figure(s, h.epochs)
    assert [t.name for t in fig.data] == [f"epoch {e}" for e in range(1, 6)] and list(s.epochs) == [1, 2, 3, 4, 5]
    for t, counts in zip(fig.data, s.counts):
        assert np.asarray(t.customdata)[1:-1, 2].sum() == counts.sum() == 32
        assert t.x[0] == s.edges[0] and t.x[-1] == s.edges[-1]
    # the last epoch is in front: drawn last, at the bottom
    assert min(fig.data[-1].y) == 0 and min(fig.data[0].y) == 4


def test_a_long_history_has_histograms_at_30_epochs_keeping_first_and_last():
    h = _recorded(45)
    s = h.of("1", "activations")
    assert len(h.epochs) == 45 and len(s.epochs) == len(s.counts) == MAX_RIDGES
    fig = ridgeline_figure(s, s.epochs, log=True, total=45)
    names = [t.name for t in fig.data]
    assert len(names) == MAX_RIDGES and names[0] == "epoch 1" and names[-1] == "epoch 45"
    assert "30 of 45 epochs" in fig.layout.title.subtitle.text and "log" in fig.layout.title.subtitle.text


# --------------------------------------------------------------------- tabs on a service
@pytest.fixture(scope="module")
def small_service(tmp_path_factory):
    home = tmp_path_factory.mktemp("history-views")
    svc = ExplanationService(Settings(model_store=home / "models", cache_dir=home / "cache", cache_type="simple"),
                             specs=())
    net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():     # hidden units 1 and 3 never fire on inputs in [0, 1]²
        net[0].weight.copy_(torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, 0.0], [0.0, 0.0]]))
        net[0].bias.copy_(torch.tensor([1.0, -1.0, -0.5, -1.0]))
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (120, 2)).astype(np.float32)
    svc.add_model(net.eval(), from_arrays("square", X, (X[:, 0] > 0.5).astype(np.int64), ("low", "high")),
                  model_id="dead-net")
    return svc


def test_layers_tab_lists_layers_with_their_dead_units(small_service):
    children, options, chosen = layers_tab.render(small_service, "dead-net")
    assert [o["value"] for o in options] == ["0", "1", "2"] and chosen == "0"
    table = next(c.children for c in children if getattr(c, "className", None) == "layers-table")
    relu = next(r for r in table.data if r["layer"] == "1")
    assert (relu["units"], relu["dead"], relu["always_on"]) == (4, 2, 1)
    assert "2 of 4 ReLU units never fire on the 120 held-out rows" in children[0].children
    # picking the ReLU shows its activations and each unit's firing share, dead ones at 0
    children, _, chosen = layers_tab.render(small_service, "dead-net", "1", log=True)
    fig = next(c for c in children if getattr(c, "id", None) == "layers-figure").figure
    firing = fig.data[-1]
    assert chosen == "1" and sorted(firing.y)[:2] == [0.0, 0.0] and fig.layout.yaxis.type == "log"


def test_layer_figure_counts_every_weight(small_service):
    stats = small_service.model_view("dead-net", "layer-stats")
    fig = layer_figure(stats.layer("0"), stats.rows, stats.grad_rows)
    assert [int(np.sum(t.y)) for t in fig.data] == [8, 4, 120 * 4, 8]


def test_training_tab_says_a_model_from_python_has_no_history(small_service):
    children, layers, layer, kinds, kind = training_tab.render(small_service, "dead-net", None, "weights")
    assert "outside Glimpse" in children[0].children and "final state" in children[0].children
    assert layer == "0" and kind == "weights" and {k["value"] for k in kinds} >= {"weights", "biases"}
    # a stale layer from another model falls back to the first layer holding that kind
    _, _, layer, _, kind = training_tab.render(small_service, "dead-net", "conv9", "activations")
    assert (layer, kind) == ("0", "activations")


def test_unknown_models_become_messages(small_service):
    msg = layers_tab.render(small_service, "no-such-model")
    assert "Unknown model" in str(msg.children)
    assert "Unknown model" in str(training_tab.render(small_service, "../etc").children)
