"""The explanation tabs' callbacks as plain functions (no browser): each tab renders its
figures, method parameters come back as explain() arguments, second renders are cache
hits, user errors are messages, and a new sample is redrawn in place."""
from __future__ import annotations

import plotly.graph_objects as go
import pytest
from dash import html, no_update

from dashboard import ids
from dashboard.layout import tab_keys
from dashboard.params import collect_params, param_controls
from dashboard.tabs import activations, gradients, lime, tree, weights
from tests.dashboard.rendered import alerts, figures, gradient_methods, text, walk

MODELS = ("mnist-cnn", "mnist-mlp", "breast-cancer-mlp")


def test_each_tab_view_holds_what_the_tab_depends_on():
    keys = dict(tab_keys())
    assert [k for k, _ in tab_keys()] == list(ids.TAB_NAMES)     # the router's outputs are in this order
    assert keys[ids.TAB_WEIGHTS] == ["model"]                    # weights: the same for every sample
    assert keys[ids.TAB_GRADIENTS] == keys[ids.TAB_LIME] == ["model", "sample", "target"]
    assert keys[ids.TAB_ACTIVATIONS] == keys[ids.TAB_TREE] == ["model", "sample"]   # no target class


@pytest.mark.parametrize("model_id", MODELS)
def test_every_tab_renders_a_figure(service, model_id):
    sample = 1
    info = service.model_info(model_id)
    rendered = {
        "activations": activations.render(service, model_id, sample, activations.default_layer(info)),
        "activations-all": activations.render(service, model_id, sample, ids.ALL_LAYERS),
        "weights": weights.render(service, model_id, weights.layer_options(info)[0]["value"]),
        "lime": lime.render(service, model_id, sample, ids.PREDICTED, 300, None),
        "tree": tree.render(service, model_id, sample, 3),
    }
    for m in gradient_methods(service, model_id):
        rendered[m] = gradients.render(service, model_id, sample, ids.PREDICTED, m, {})
    for name, children in rendered.items():
        assert alerts(children, kinds=("alert-error",)) == [], name
        assert figures(children) and all(isinstance(f, go.Figure) for f in figures(children)), name
    assert len(figures(rendered["activations-all"])) == len(service.explain(model_id, sample, "activations").layers)
    # Grad-CAM is offered exactly where there is a convolution layer (the CNN)
    assert ("gradcam" in gradient_methods(service, model_id)) == (model_id == "mnist-cnn")


def test_two_methods_side_by_side_and_ig_completeness(service):
    children = gradients.render(service, "mnist-cnn", 2, ids.PREDICTED, "integrated_gradients", {"n_steps": 64},
                                "saliency", {"abs": False})
    assert len(figures(children)) == 2 and "two" in children.className
    result = service.explain("mnist-cnn", 2, "integrated_gradients", n_steps=64)
    assert f"delta = {result.delta:.2e}" in text(children)


def test_params_built_from_the_method_spec_come_back_as_explain_arguments(service):
    info = service.model_info("mnist-cnn")
    spec = service.methods()["smoothgrad"]
    controls = param_controls("a", spec, info)
    inputs = [c for label in controls for c in walk(label) if isinstance(getattr(c, "id", None), dict)]
    shown = spec.params_for(info.kind, info.input_shape)       # a grey image: no per-channel noise choice
    assert [c.id["name"] for c in inputs] == [p.name for p in shown] == [p.name for p in spec.params][:len(shown)]
    cids, values = [c.id for c in inputs], [c.value for c in inputs]
    assert collect_params(spec, cids, values) == {p.name: p.default for p in shown}
    values[[c["name"] for c in cids].index("abs")] = []        # untick the checkbox
    values[[c["name"] for c in cids].index("n_samples")] = None  # emptied field: default
    stale = {"type": ids.PARAM, "slot": "a", "method": "integrated_gradients", "name": "n_steps"}
    got = collect_params(spec, cids + [stale], values + [10])
    assert got["abs"] is False and "n_samples" not in got and "n_steps" not in got
    gradcam = param_controls("b", service.methods()["gradcam"], info)
    layer = [c for label in gradcam for c in walk(label) if getattr(c, "id", {}) and c.id["name"] == "layer"][0]
    assert layer.options == list(info.conv_layers) and layer.value == info.conv_layers[-1]


def test_second_render_of_a_tab_is_a_cache_hit(service):
    for render in (lambda: gradients.render(service, "mnist-cnn", 11, ids.PREDICTED, "smoothgrad", {"n_samples": 9}),
                   lambda: lime.render(service, "breast-cancer-mlp", 11, ids.PREDICTED, 200, None),
                   lambda: activations.render(service, "mnist-mlp", 11, ids.ALL_LAYERS),
                   lambda: tree.render(service, "breast-cancer-mlp", 11, 2)):
        first = render()
        hits, misses = service.stats["hits"], service.stats["misses"]
        second = render()
        assert service.stats["hits"] > hits and service.stats["misses"] == misses
        assert len(figures(second)) == len(figures(first))


def test_user_errors_show_their_message_not_a_traceback(service):
    out = gradients.render(service, "mnist-cnn", 0, ids.PREDICTED, "integrated_gradients", {"n_steps": 0})
    assert alerts(out) and "n_steps" in alerts(out)[0]
    out = lime.render(service, "breast-cancer-mlp", 0, 5, 100, None)   # a class the model does not have
    assert alerts(out) and "out of range" in alerts(out)[0]
    out = tree.render(service, "wine-mlp", 10 ** 6, 3)
    assert alerts(out) and "Unknown sample" in alerts(out)[0]


def test_the_map_waits_for_its_methods_controls_and_a_model_switch_keeps_the_methods(service):
    specs, info = service.methods(), service.model_info("mnist-cnn")
    ig = specs["integrated_gradients"]
    # right after a switch to IG the page still shows saliency's controls: wait for IG's
    saliency_controls = [{"type": ids.PARAM, "slot": "a", "method": "saliency", "name": "abs"}]
    assert not gradients.controls_ready(ig, info, saliency_controls)
    assert not gradients.controls_ready(ig, info, [])
    ig_controls = [c.id for c in walk(html.Div(param_controls("a", ig, info)))
                   if isinstance(getattr(c, "id", None), dict)]
    assert gradients.controls_ready(ig, info, ig_controls)
    # the pickers keep a method the new model offers without writing it again
    assert gradients.kept_methods("saliency", ids.NO_METHOD, {"saliency", ids.NO_METHOD}) == (no_update, no_update)
    assert gradients.kept_methods("gradcam", "gradcam", {"saliency", ids.NO_METHOD}) == \
        (gradients.DEFAULT_METHOD, ids.NO_METHOD)


def test_a_new_sample_is_redrawn_in_place_when_only_figures_and_texts_change(service):
    from dashboard.components import in_place_updates, redraw, skeleton

    a = gradients.render(service, "mnist-cnn", 1, ids.PREDICTED, "integrated_gradients", {})
    b = gradients.render(service, "mnist-cnn", 2, ids.PREDICTED, "integrated_gradients", {})
    assert skeleton(a) == skeleton(b)
    updates = dict(in_place_updates(b))
    assert set(updates) == {"map-a", "map-note-a", "map-note-a-tech"}
    assert updates["map-a"]["figure"] is figures(b)[0] and "Completeness" in updates["map-note-a"]["children"]
    # another shape (a second pane, an error, a text without an id) is drawn anew
    two = gradients.render(service, "mnist-cnn", 1, ids.PREDICTED, "integrated_gradients", {}, "saliency", {})
    assert skeleton(two) != skeleton(a)
    assert skeleton(html.Div("one")) != skeleton(html.Div("two"))
    assert skeleton(html.Div("one", id="x")) == skeleton(html.Div("two", id="x"))
    children, shape = redraw(a, None)
    assert children is a and shape == skeleton(a)
