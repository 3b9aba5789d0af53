"""The distilled tree's figure (no browser): its layout by hand, one marker per node, the path."""
from __future__ import annotations

import numpy as np
import pytest

from dashboard.figures import tree_figure
from dashboard.figures.tree import tree_layout
from tests.dashboard.figure_helpers import trace


# ------------------------------------------------------------------------------ tree
def test_tree_layout_by_hand():
    #        0
    #      1   2
    #     3 4
    left, right = np.array([1, 3, -1, -1, -1]), np.array([2, 4, -1, -1, -1])
    x, depth = tree_layout(left, right)
    assert depth.tolist() == [0, 1, 1, 2, 2]
    assert x.tolist() == [1.25, 0.5, 2.0, 0.0, 1.0]


@pytest.mark.parametrize("model_id, depth", [("breast-cancer-mlp", 4), ("mnist-cnn", 6)])
def test_tree_has_one_marker_per_node_and_highlights_the_path(service, model_id, depth):
    result = service.explain(model_id, 1, "tree", max_depth=depth)
    n = len(result.children_left)
    fig = tree_figure(result)
    nodes = np.r_[trace(fig, "decision nodes").customdata, trace(fig, "leaves").customdata].astype(int)
    assert sorted(nodes.tolist()) == list(range(n))
    path = trace(fig, "sample's path")
    assert list(path.customdata) == result.path.tolist()
    assert int(path.customdata[-1]) == result.leaf
    x, d = tree_layout(result.children_left, result.children_right)
    assert np.allclose(path.y, d[result.path]) and np.allclose(path.x, x[result.path])
    edges = trace(fig, "sample's path edges")
    assert len([v for v in edges.x if v is None]) == len(result.path) - 1
    leaves = trace(fig, "leaves")
    majority = np.asarray(result.value).argmax(axis=1)
    colours = dict(zip(np.asarray(leaves.customdata, int).tolist(), leaves.marker.color))
    for a, b in [(i, j) for i in colours for j in colours]:
        assert (colours[a] == colours[b]) == (majority[a] == majority[b])
    texts = [a.text for a in fig.layout.annotations if a.name and a.name.startswith("edge")]
    assert len(texts) == len(result.path) - 1
    assert f"depth {depth}" in fig.layout.title.text and f"{100 * result.fidelity:.0f}%" in fig.layout.title.text
