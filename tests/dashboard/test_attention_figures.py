"""The attention figures from hand-made attention maps (no browser), and the Attention tab
rendered as a plain function for the ViT and for a model without attention."""
from __future__ import annotations

import numpy as np
import pytest

from dashboard.figures.attention import (MEAN_HEAD, head_grid_figure, rollout_figure, token_matrix_figure,
                                         token_names, upsample)
from explain_core.methods.attention import AttentionMaps
from explain_core.methods.base import Attribution


def hand_maps() -> AttentionMaps:
    """2 layers × 2 heads over 5 tokens: the class token, then a 2×2 grid of patches, on a 1×4×4 image."""
    rng = np.random.default_rng(0)
    w = rng.random((2, 2, 5, 5))
    w /= w.sum(-1, keepdims=True)
    x = np.zeros((1, 4, 4), np.float32)
    x[0, 1:3, 1:3] = 1.0
    return AttentionMaps("attention", ("blocks.0.attn", "blocks.1.attn"), w, x, 0, (2, 2))


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_head_grid_tiles_hold_the_class_tokens_rows():
    maps = hand_maps()
    fig = head_grid_figure(maps)
    labels = trace(fig, "tile labels").text
    assert list(labels) == ["L1 H1", "L1 H2", "L1 mean", "L2 H1", "L2 H2", "L2 mean"]
    z = np.asarray(trace(fig, "attention values").z, dtype=np.float64)
    tiles = z[~np.isnan(z)].reshape(-1)
    cls_rows = maps.weights[:, :, 0, 1:]                      # (2, 2, 4): the class token's row over the patches
    expected = np.concatenate([cls_rows, cls_rows.mean(1, keepdims=True)], axis=1)
    # every tile is its row upsampled: a 4×4 tile whose 2×2 blocks are the four patch weights
    assert np.isclose(np.sort(tiles), np.sort(np.repeat(expected.reshape(-1), 4)), atol=1e-6).all()
    assert "sums to 1" in fig.layout.title.subtitle.text.replace("<br>", " ")
    assert trace(fig, "attention per head").source.startswith("data:image/png")


def test_token_matrix_is_the_chosen_layer_and_head_with_named_tokens():
    maps = hand_maps()
    fig = token_matrix_figure(maps, 1, 0)
    np.testing.assert_allclose(np.asarray(fig.data[0].z), maps.weights[1, 0])
    assert list(fig.data[0].x) == ["class", "patch (1,1)", "patch (1,2)", "patch (2,1)", "patch (2,2)"]
    assert fig.layout.title.text.startswith("layer 2, head 1")
    mean = token_matrix_figure(maps, 0, MEAN_HEAD)
    np.testing.assert_allclose(np.asarray(mean.data[0].z), maps.weights[0].mean(0))
    np.testing.assert_allclose(np.asarray(mean.data[0].z).sum(1), 1.0)
    assert "Each row sums to 1" in mean.layout.title.subtitle.text


def test_token_names_without_a_layout():
    maps = AttentionMaps("attention", ("a",), np.full((1, 1, 3, 3), 1 / 3), np.zeros((1, 3, 3)), None, None)
    assert token_names(maps) == ["token 0", "token 1", "token 2"]
    assert "cannot be drawn" in head_grid_figure(maps).layout.annotations[0].text


def test_upsample_repeats_each_patch():
    np.testing.assert_array_equal(upsample(np.array([[1, 2], [3, 4]]), (4, 4)),
                                  [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])


def test_rollout_figure_shows_the_input_beside_the_map():
    grid = np.array([[0.4, 0.1], [0.1, 0.2]], np.float32)
    a = np.repeat(np.repeat(grid / 4, 2, 0), 2, 1)[None]
    result = Attribution("attention_rollout", a, hand_maps().inputs, 3, {"head_fusion": "mean"},
                         extras={"grid": grid})
    fig = rollout_figure(result)
    images = [t for t in fig.data if t.type == "image"]
    assert len(images) >= 3 and images[0].name == "input" and images[0].x0 < 0      # the input, left of the map
    hover = next(t for t in fig.data if t.type == "heatmap")
    np.testing.assert_allclose(np.asarray(hover.z), np.repeat(np.repeat(grid, 2, 0), 2, 1))   # shares per patch
    assert "share of attention" in hover.hovertemplate
    sub = fig.layout.title.subtitle.text.replace("<br>", " ")
    assert "80% lands on patches" in sub and "attention, not attribution" in sub and "heads' mean" in sub


# ------------------------------------------------------------------------------ the tab
@pytest.fixture(scope="module")
def svc(settings):
    from tests.quality_service import service_with
    return service_with(settings, ("mnist-vit", "mnist-cnn"))


def test_tab_renders_the_vit(svc):
    from dash import dcc

    from dashboard.tabs import attention as tab

    i = int(svc.dataset_for("mnist-vit").test_idx[0])
    out = tab.render(svc, "mnist-vit", i, 1, 2, "max")
    graphs = [c for c in _walk(out) if isinstance(c, dcc.Graph)]
    assert [g.id for g in graphs] == ["attention-heads", "attention-rollout", "attention-matrix"]
    assert graphs[2].figure.layout.title.text.startswith("layer 2, head 3")
    assert "heads' max" in graphs[1].figure.layout.title.subtitle.text.replace("<br>", " ")
    layers, heads = tab.picker_options(svc, {"model": "mnist-vit", "sample": i})
    assert [o["value"] for o in layers] == [0, 1] and [o["value"] for o in heads] == [MEAN_HEAD, 0, 1, 2, 3]


def test_tab_says_plainly_when_a_model_has_no_attention(svc):
    from dashboard.tabs import attention as tab

    out = tab.render(svc, "mnist-cnn", 0)
    assert len(out) == 1 and "alert-info" in out[0].className
    assert "no attention layers" in out[0].children
    assert tab.picker_options(svc, {"model": "mnist-cnn", "sample": 0}) == ([], [])


@pytest.mark.parametrize("layer, head, fusion, words", [
    ("x", -1, "mean", "The layer must be a whole number"), (0, 1.5, "mean", "The head must be a whole number"),
    (0, -2, "mean", "The head must be a whole number"), (0, -1, "median", "The head fusion"),
    (0, -1, ["mean"], "The head fusion")])
def test_forged_picker_values_are_messages(svc, layer, head, fusion, words):
    from dashboard.tabs import attention as tab

    out = tab.render(svc, "mnist-vit", 0, layer, head, fusion)
    assert "alert-error" in out.className and words in out.children


def test_a_layer_or_head_left_from_another_model_falls_back(svc):
    from dashboard.tabs import attention as tab

    out = tab.render(svc, "mnist-vit", 0, 7, 9)
    matrix = next(c for c in _walk(out) if getattr(c, "id", None) == "attention-matrix")
    assert matrix.figure.layout.title.text.startswith("layer 1, heads' mean")


def _walk(node):
    if isinstance(node, (list, tuple)):
        for c in node:
            yield from _walk(c)
        return
    yield node
    kids = getattr(node, "children", None)
    if kids is not None and not isinstance(kids, str):
        yield from _walk(kids)
