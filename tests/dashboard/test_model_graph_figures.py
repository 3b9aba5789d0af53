"""Figure builders of the Architecture and Pruning what-if tabs, without a browser."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dashboard.figures.architecture import graph_elements, node_label, summary
from dashboard.figures.pruning import class_change_figure, curve_figure, headline, unit_scores_figure
from dashboard.tabs.architecture import clicked_layer
from explain_core.model_views.architecture import build_graph
from explain_core.model_views.pruning_curve import PruningCurve
from explain_core.model_views.pruning_views import PruningResult


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc, self.relu, self.fc2 = nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3)

    def forward(self, x):
        return x + self.fc2(self.relu(self.fc(x)))


def test_graph_elements_mark_the_skip_and_the_openable_layers():
    g = build_graph(Residual(), torch.zeros(1, 3))
    els = graph_elements(g, openable=["fc", "relu"])
    nodes = {e["data"]["id"]: e for e in els if "source" not in e["data"]}
    edges = [e for e in els if "source" in e["data"]]
    assert [e["data"]["source"] + ">" + e["data"]["target"] for e in edges if e["classes"] == "skip"] == ["x>add"]
    assert "openable" in nodes["fc"]["classes"] and nodes["fc"]["data"]["layer"] == "fc"
    assert "openable" not in nodes["fc2"]["classes"] and nodes["fc2"]["data"]["layer"] == ""
    assert nodes["fc"]["data"]["label"] == "fc · Linear\n3\n12 parameters"
    assert nodes["relu"]["data"]["label"] == "relu · ReLU\n3" and nodes["add"]["data"]["label"] == "add\n3"
    assert summary(g) == "24 parameters (all trainable) in 2 of 3 layers; traced with torch.fx; 1 skip connection (dashed)."
    assert node_label(g.nodes[0]) == "Input\n3"


def _result(**kw):
    base = dict(layer="fc1", how="magnitude", units=np.array([1, 3]), n_units=4, layer_type="Linear",
                task="classification", metric="accuracy", before=0.9, after=0.85, n_rows=200,
                class_names=("a", "b"), class_before=np.array([0.9, 0.9]), class_after=np.array([0.95, 0.75]),
                class_counts=np.array([100, 100]), flips=12, flip_ids=np.arange(12),
                magnitude=np.array([4.0, 1.0, 3.0, 2.0]), activity=np.array([0.1, 0.2, 0.3, 0.0]))
    return PruningResult(**{**base, **kw})


def test_pruning_headline_and_figures():
    r = _result()
    assert headline(r) == ("Removed 2 of 4 units of fc1 (the smallest weights: L1 norm of incoming weights): held-out "
                           "accuracy 90.0% → 85.0% (-5.0 points); 12 of 200 predictions changed.")
    bars = unit_scores_figure(r).data[0]
    assert list(bars.y) == [4.0, 1.0, 3.0, 2.0] and list(bars.customdata) == [0, 1, 2, 3]
    assert bars.marker.color[1] == bars.marker.color[3] != bars.marker.color[0]
    assert list(unit_scores_figure(_result(how="activity")).data[0].y) == [0.1, 0.2, 0.3, 0.0]
    fig = class_change_figure(r)
    assert [list(t.y) for t in fig.data] == [[90.0, 90.0], [95.0, 75.0]]
    assert "class 1 (b) (-15.0 points)" in fig.layout.title.subtitle.text
    conv = _result(layer_type="Conv2d", units=np.array([], dtype=int))
    assert headline(conv).startswith("Nothing removed from fc1")


def test_regression_headline():
    r = _result(task="regression", metric="R²", before=0.4, after=0.35, mae_before=43.0, mae_after=45.5,
                mean_change=2.25, class_names=(), class_before=None, class_after=None, class_counts=None)
    assert headline(r).endswith("held-out R² 0.400 → 0.350, mean absolute error 43 → 45.5; predictions moved by "
                                "2.25 on average over 200 held-out rows.")


def test_curve_figure_has_one_line_per_layer_and_the_served_line():
    c = PruningCurve(("conv1", "fc1"), (16, 64), np.array([0.0, 0.5]), np.array([[0, 8], [0, 32]]),
                     np.array([[0.97, 0.6], [0.97, 0.95]]), "accuracy", 0.97)
    fig = curve_figure(c)
    assert [t.name for t in fig.data] == ["conv1 (16)", "fc1 (64)"]
    assert list(fig.data[0].y) == pytest.approx([97.0, 60.0]) and fig.layout.shapes[0].y0 == pytest.approx(97.0)


@pytest.mark.parametrize("data", [None, "fc1", {"layer": 3}, {"layer": "x" * 500}])
def test_a_bad_node_click_is_refused_or_ignored(data):
    from dash.exceptions import PreventUpdate

    from explain_core.errors import GlimpseError

    with pytest.raises((PreventUpdate, GlimpseError)):
        clicked_layer(None, "mnist-cnn", data)
