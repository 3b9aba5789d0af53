"""The Robustness tabs as plain functions: what they render for an image, a table row, a
single-logit binary model and a regression, their figures, and bad inputs as messages."""
import json

import numpy as np
import pytest

from dashboard import robustness_view
from dashboard.figures.robustness import adversarial_image_figure, amplification, curve_figure, probabilities_figure
from dashboard.tabs import robustness, robustness_curve


def text_of(component) -> str:
    return json.dumps(component.to_plotly_json(), default=str)


def test_image_render_shows_the_attack_the_minimal_eps_and_both_maps(service):
    out = text_of(robustness.render(service, "mnist-cnn", 0, "fgsm", "linf", 0.1, None, robustness.AWAY, "saliency"))
    for part in ("robust-images", "robust-minimal", "robust-proba", "robust-map-original", "robust-map-adversarial"):
        assert part in out
    assert "alert" not in out


@pytest.mark.parametrize("model_id", ["breast-cancer-mlp", "seed-binary-mlp", "diabetes-mlp"])
def test_table_render_shows_counterfactuals_and_the_adversarial_row(service, model_id):
    out = text_of(robustness.render(service, model_id, 3, "pgd", "linf", None, 20, robustness.AWAY, "saliency"))
    assert "robust-sentence" in out and "robust-cf-table" in out and "robust-adv-row" in out
    assert "If " in out


def test_fixed_features_reach_the_engine_and_unknown_ones_are_refused(service):
    names = list(service.model_info("breast-cancer-mlp").feature_names[:2])
    out = text_of(robustness.render(service, "breast-cancer-mlp", 3, fixed=names))
    assert "left alone: " + ", ".join(names) in out
    bad = text_of(robustness.render(service, "breast-cancer-mlp", 3, fixed=["<script>"]))
    assert "alert" in bad and "unknown value" in bad


@pytest.mark.parametrize("kw, words", [({"eps": -2}, "eps must be"), ({"attack": "cw"}, "The attack must be"),
                                       ({"towards": 42}, "class aimed at"), ({"method": "lime"}, "The map must be"),
                                       ({"steps": 10**9}, "steps must be")])
def test_bad_controls_become_messages(service, kw, words):
    out = text_of(robustness.render(service, "mnist-cnn", 0, **kw))
    assert "alert" in out and words in out


def test_targeted_attack_aims_at_the_chosen_class(service):
    r = service.robustness("mnist-cnn", "adversarial", 0, towards=3, eps=0.3)
    assert r.label == 3 and (not r.reached or int(r.prediction_after) == 3)


def test_figures_are_pure_and_say_what_they_show(service):
    r = service.robustness("mnist-cnn", "adversarial", 0, attack="fgsm", eps=0.1)
    fig = adversarial_image_figure(r, ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"))
    assert [t.name for t in fig.data] == ["original", "perturbation", "adversarial"]
    heads = [a.text for a in fig.layout.annotations]
    assert f"perturbation ×{amplification(np.asarray(r.perturbation)):.3g}" in heads
    assert heads[0].startswith("original: ") and heads[2].startswith("adversarial: ")
    p = probabilities_figure(r)
    assert [t.name for t in p.data] == ["before", "after"]
    np.testing.assert_allclose(p.data[0].y.sum() if len(p.data[0].y) == 10 else 1.0, 1.0, rtol=1e-5)
    c = service.model_view("breast-cancer-mlp", "robustness", points=4)
    cf = curve_figure(c)
    np.testing.assert_array_equal(cf.data[0].y, c.accuracy)
    assert f"At ε = 0: {c.accuracy[0]:.1%}" in cf.layout.title.subtitle.text


def test_curve_tab_says_plainly_that_a_regression_has_no_accuracy(service):
    kids, done = robustness_curve.render(service, "diabetes-mlp", "fgsm", "linf")
    assert done and "applies to classifiers" in text_of(kids[0])


def test_curve_tab_runs_the_job_then_draws(service):
    import time
    kids, done = robustness_curve.render(service, "seed-binary-mlp", "pgd", "l2")
    deadline = time.time() + 120
    while not done and time.time() < deadline:
        time.sleep(0.5)
        kids, done = robustness_curve.render(service, "seed-binary-mlp", "pgd", "l2")
    assert done and "robust-curve" in text_of(kids[0])


def test_minimal_note_states_the_bracket(service):
    r = service.robustness("mnist-cnn", "adversarial", 0)
    text = robustness_view.minimal_note(r).children
    assert f"held at {r.minimal.lower:.4g}" in text and f"tolerance {r.minimal.tolerance:.2g}" in text
