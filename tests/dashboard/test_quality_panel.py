"""The quality panel's parts as plain functions: what it shows for a map and for the
which-method table, and the LIME tab's fit warnings."""
from __future__ import annotations

import json

import numpy as np
from plotly.utils import PlotlyJSONEncoder
import pytest

from dashboard import quality
from dashboard.figures.quality import curves_figure, randomisation_figure, spread_figure
from explain_core.methods.base import Attribution


@pytest.fixture(scope="module")
def service(settings):
    from tests.quality_service import service_with
    return service_with(settings, ["mnist-cnn", "breast-cancer-mlp"])


def text_of(component) -> str:
    if isinstance(component, list):
        return " ".join(text_of(c) for c in component)
    return json.dumps(component.to_plotly_json(), cls=PlotlyJSONEncoder, ensure_ascii=False)


def first_test(service, model_id):
    return int(service.dataset_for(model_id).test_idx[0])


def test_scores_panel_for_a_digit(service):
    view = {"model": "mnist-cnn", "sample": first_test(service, "mnist-cnn"), "target": None}
    out = quality.render_scores(service, view, "saliency", {"abs": True})
    text = text_of(out)
    for words in ("Deletion area", "Insertion area", "Infidelity", "Max-sensitivity", "Randomisation",
                  "lower is better", "higher is better", "quality-curves", "real model"):
        assert words in text, words
    report = service.quality("scores", "mnist-cnn", view["sample"], "saliency", abs=True)
    fig = curves_figure(report, "class 7")
    assert [len(t.y) for t in fig.data] == [51, 51]
    np.testing.assert_allclose(fig.data[0].y, report.curves.deletion)


def test_stochastic_method_shows_its_spread_and_a_bad_fit(service):
    mid = "breast-cancer-mlp"
    view = {"model": mid, "sample": first_test(service, mid), "target": None}
    text = text_of(quality.render_scores(service, view, "lime", {}))
    assert "Stability over seeds" in text and "quality-spread" in text
    assert "Local fit (weighted R²) over the seeds" in text and "describes the model poorly" in text
    lime = service.explain(mid, view["sample"], "lime")
    alerts = text_of(quality.fit_alerts(lime, service.model_info(mid)))
    assert lime.extras["score"] < 0.5 and "fits the model badly" in alerts and "more perturbed samples" in alerts


def test_method_table_for_a_table_model(service):
    mid = "breast-cancer-mlp"
    view = {"model": mid, "sample": first_test(service, mid), "target": None}
    out = quality.render_table(service, view)
    text = text_of(out)
    assert "Which method to trust" in text and "Grad-CAM" not in text
    table = service.quality("table", mid, view["sample"])
    assert {r.method for r in table.rows} == {"saliency", "gradient_x_input", "integrated_gradients", "smoothgrad",
                                             "occlusion", "lime", "kernel_shap", "gradient_shap"}
    assert text.count('"best"') >= 6          # one best cell per column, and the best mean rank
    assert text.count("(3 moves)") == 2 and "LIME 3, KernelSHAP 3" in text      # fewer draws, said
    for key, _, better in quality.TABLE_COLUMNS:
        vals = {r.method: getattr(r, key) for r in table.rows}
        assert vals[table.best[key]] == (min(vals.values()) if better == "low" else max(vals.values()))


def test_lime_fit_alerts():
    def lime(score, local, model):
        return Attribution("lime", np.zeros(4), np.zeros(4), 0, {"n_samples": 1000},
                           extras={"score": score, "prediction_local": local, "prediction_model": model})

    class Info:
        kind, task = "tabular", "classification"
    bad = quality.fit_alerts(lime(0.08, 0.4, 0.5), Info)
    assert len(bad) == 1 and "R² 0.08" in text_of(bad[0]) and "kernel width" in text_of(bad[0])
    assert quality.fit_alerts(lime(0.9, 0.4, 0.5), Info) == []
    over = quality.fit_alerts(lime(0.9, 1.33, 0.98), Info)
    assert len(over) == 1 and "1.330" in text_of(over[0]) and "outside the 0–1" in text_of(over[0])

    class Regression:
        kind, task = "tabular", "regression"
    assert quality.fit_alerts(lime(0.9, 133.0, 120.0), Regression) == []     # a value may be anything


def test_randomisation_and_spread_figures(service):
    mid = "breast-cancer-mlp"
    i = first_test(service, mid)
    san = service.quality("sanity", mid, i, "saliency")
    fig = randomisation_figure(san)
    assert list(fig.data[0].x) == ["out", "+ fc2", "+ fc1"]
    stab = service.quality("stability", mid, i, "smoothgrad", seeds=3)
    fig = spread_figure(stab, service.model_info(mid).feature_names, top=5)
    assert len(fig.data[0].y) == 5


def test_integrated_gradients_says_how_many_steps_reach_one_percent(service):
    view = {"model": "mnist-cnn", "sample": first_test(service, "mnist-cnn"), "target": 3}   # not the predicted class
    text = text_of(quality.render_scores(service, view, "integrated_gradients", {"n_steps": 50}))
    adaptive = service.quality("ig-accuracy", "mnist-cnn", view["sample"], "integrated_gradients", 3, n_steps=50)
    assert adaptive.target == 3 and adaptive.extras["reached"] and adaptive.extras["relative_error"] <= 0.01
    assert f"{adaptive.extras['steps_used']} steps bring the error to" in text and "the map above used 50 steps" in text


def test_an_auto_ig_map_states_the_steps_it_used(service):
    view = {"model": "mnist-cnn", "sample": first_test(service, "mnist-cnn"), "target": 3}
    text = text_of(quality.render_scores(service, view, "integrated_gradients", {"n_steps": "auto"}))
    shown = service.explain("mnist-cnn", view["sample"], "integrated_gradients", target=3, n_steps="auto")
    e = shown.extras
    assert shown.params["n_steps"] == "auto" and e["reached"] and e["relative_error"] <= 0.01
    assert f"the map above used {e['steps_used']} steps, chosen for this sample" in text
    assert f"off by {100 * e['relative_error']:.2f}%" in text
