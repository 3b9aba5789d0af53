"""KernelSHAP's stability check in its tab, as plain functions: the spread the page shows
(per-feature bars for a table, the std map's largest value for a digit) equals a direct
recomputation with the same 5 seeds; the which-method tables say how many moves each
method's max-sensitivity took."""
from __future__ import annotations

import numpy as np
import pytest
from dashboard import quality
from dashboard.tabs.shap import layout
from explain_core.methods.registry import RUNNERS, normalise_params
from tests.dashboard.test_quality_panel import text_of


@pytest.fixture(scope="module")
def service(settings):
    from tests.quality_service import service_with
    return service_with(settings, ["mnist-cnn", "wine-mlp"])


def direct_maps(service, model_id, i, target, params=None):
    tm = service._model(model_id)
    maps = []
    for seed in range(quality.SEEDS):
        p = normalise_params("kernel_shap", {**(params or {}), "seed": seed}, tm.data.kind, tm.module,
                             tm.data.input_shape)
        maps.append(RUNNERS["kernel_shap"](tm.explained, tm.data, tm.data.X[i], target, p).attribution)
    return np.stack(maps).astype(np.float64)


def find(component, cid):
    if getattr(component, "id", None) == cid:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        hit = find(child, cid)
        if hit is not None:
            return hit
    return None


def test_the_spread_shown_for_a_table_equals_five_seeds_recomputed(service):
    mid = "wine-mlp"
    i = int(service.dataset_for(mid).test_idx[0])
    out = quality.render_stability(service, {"model": mid, "sample": i, "target": None}, "kernel_shap",
                                   {"n_samples": 200})
    fig = find(out, "quality-spread").figure
    target = service.explain(mid, i, "kernel_shap").target
    maps = direct_maps(service, mid, i, target, {"n_samples": 200})
    names = list(service.model_info(mid).feature_names)
    mean = maps.mean(0)
    trace = fig.data[0]
    rows = [names.index(n) for n in trace.y]
    np.testing.assert_allclose(trace.x, mean[rows], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(trace.error_x.array, maps.max(0)[rows] - mean[rows], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(trace.error_x.arrayminus, mean[rows] - maps.min(0)[rows], rtol=1e-4, atol=1e-6)
    assert maps.std(0).max() > 0                           # 200 coalitions of 2^13: the seeds do differ
    assert "Shapley value" in fig.layout.xaxis.title.text and "Stability over seeds" in text_of(out)


def test_the_std_map_shown_for_a_digit_equals_five_seeds_recomputed(service):
    mid = "mnist-cnn"
    i = int(service.dataset_for(mid).test_idx[0])
    text = text_of(quality.render_stability(service, {"model": mid, "sample": i, "target": None}, "kernel_shap", {}))
    target = service.explain(mid, i, "kernel_shap").target
    std = direct_maps(service, mid, i, target).std(0).sum(0)
    assert f"std over seeds (max {std.max():.3g})" in text


def test_the_tab_has_the_button_and_bad_settings_are_named(service):
    assert find(layout(), "quality-shap-run") is not None
    mid = "wine-mlp"
    bad = quality.render_stability(service, {"model": mid, "sample": 0, "target": None}, "kernel_shap",
                                   {"n_samples": -5})
    assert "n_samples" in text_of(bad) and "alert" in text_of(bad)


def test_the_tables_say_how_many_moves_each_sensitivity_took_and_read_rounding_as_zero():
    words = quality.draws_words(["saliency", "lime", "kernel_shap"], [10, 3, 3])
    assert "over 10 tiny moves" in words and "LIME 3, KernelSHAP 3" in words
    assert "(" not in quality.draws_words(["saliency", "integrated_gradients"], [10, 10])
    assert quality.draws_words([], []) == ""
    assert quality.table_head().children[0].children == "Method"
    assert quality.leaders({"saliency": 2.0, "lime": 3.0}) == "Saliency comes first"
    assert quality.leaders({"saliency": 2.0, "lime": 2.0, "occlusion": 2.0}) == \
        "Saliency, LIME and Occlusion share first place"
    # a ReLU network's gradient is flat between kinks: rounding-level sensitivity reads as zero
    assert quality.score_text("sensitivity", 9.4e-8) == quality.score_text("sensitivity", 4e-8, 3e-8) == "≈ 0"
    assert quality.score_text("sensitivity", 0.02, 0.001) == "0.02 ± 0.001"
    assert quality.score_text("infidelity", 1e-9) == "1e-09"          # only the sensitivity is rounded
