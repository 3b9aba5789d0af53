"""Tab 4: LIME, a weighted linear model fitted to the network's answers near the sample."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html

from .. import heads, ids, quality, validate
from ..components import graph, note, redraw, shows_errors
from ..figures.lime import lime_figure
from ..sample_info import target_value
from . import panel, visible_view

TAB = ids.TAB_LIME
LABEL = "LIME"
LEVEL = "sample"
VIEW = ("model", "sample", "target")
DEFAULT_SAMPLES = 1000


def fit_note(result):
    e = result.extras
    text = (f"Local fit: weighted R² = {float(e['score']):.3f} over {result.params['n_samples']:,} perturbed samples "
            f"(kernel width {float(e['kernel_width']):.3g}). The surrogate predicts "
            f"{heads.fmt(e['prediction_local'])} for this sample where the model gives "
            f"{heads.fmt(e['prediction_model'])}.")
    return note(text, className="fit", id="lime-fit")


@shows_errors
def render(service, model_id: str, sample_id: int, target, n_samples=None, kernel_width=None, patch=None):
    info = service.model_info(model_id)
    params = {}
    if n_samples not in (None, ""):
        params["n_samples"] = n_samples
    if kernel_width not in (None, ""):
        params["kernel_width"] = kernel_width
    if patch not in (None, "") and info.kind == "image":    # checked by the engine against the image's size
        params["patch"] = patch
    result = service.explain(model_id, sample_id, "lime", target=target_value(target), **params)
    fig = heads.reword(lime_figure(result, info.feature_names, class_names=info.class_names), info, "LIME",
                       result.target, heads.lime_words(info), plain=True)
    return [graph(fig, id="lime-figure"), fit_note(result)] + quality.fit_alerts(result, info)   # bad fits said


def layout():
    controls = [
        html.Label(["Perturbed samples", dcc.Input(id=ids.LIME_SAMPLES, type="number", value=DEFAULT_SAMPLES,
                                                   step="any", debounce=True,
                                                   className="param-number")],
                   className="param", title="How many perturbed copies of the sample LIME runs through the model (10 to 20,000)."),
        html.Label(["Kernel width", dcc.Input(id=ids.LIME_KERNEL, type="number", step="any",
                                              debounce=True, placeholder="default", className="param-number")],
                   className="param",
                   title="Width of the proximity kernel: small = only very close perturbations count. "
                         "Empty = default (0.25 for images, 0.75·√features for tables)."),
        html.Label(["Patch size", dcc.Input(id=ids.LIME_PATCH, type="number", step="any", debounce=True,
                                            placeholder="default", className="param-number")],
                   id=ids.LIME_PATCH_WRAP, className="param", style={"display": "none"},
                   title="Side of the square patches LIME switches on and off, in pixels: up to half the image's "
                         "side. Empty = about a seventh of it (4 for 28×28)."),
    ]
    out = panel(TAB, "LIME",
                "A linear surrogate fitted to the model's probability of the explained class (a regression's "
                "predicted value) on perturbed copies of this sample: each bar (or image patch) is a signed weight.",
                controls,
                busy="Computing LIME: 1,000 model calls on perturbed copies, then a linear fit…")
    out.children.append(quality.lime_section())     # its spread over seeds: dashboard/quality.py
    return out


def register_callbacks(app, service):
    quality.register_lime_callbacks(app, service, TAB)
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data"),
                  Input(ids.view(TAB), "data"), Input(ids.LIME_SAMPLES, "value"), Input(ids.LIME_KERNEL, "value"),
                  Input(ids.LIME_PATCH, "value"), State(ids.TABS, "value"), State(ids.drawn(TAB), "data"),
                  State(ids.QUALITY_LIME_OUT, "children"))
    def _render(view, n_samples, kernel_width, patch, tab, drawn, stability):
        view = visible_view(service, tab, TAB, view, VIEW)   # the numbers: checked by the engine (named)
        quality.clear_stale({ids.QUALITY_LIME_OUT: stability})   # a new sample or setting: the spread is stale
        return redraw(render(service, view["model"], view["sample"], view["target"], n_samples, kernel_width,
                             patch), drawn)

    @app.callback(Output(ids.LIME_PATCH_WRAP, "style"), Output(ids.LIME_PATCH, "placeholder"),
                  Output(ids.LIME_PATCH_WRAP, "title"), Input(ids.MODEL, "data"), prevent_initial_call=True)
    def _patch(model_id):
        """The patch size is offered for image models, its default and largest value for their size
        (said, not set as the field's max: the browser would empty a larger value, read as the default)."""
        info = service.model_info(validate.model_id(model_id))
        if info.kind != "image":
            return {"display": "none"}, "default", None
        fitted = service.methods()["lime"].params_for(info.kind, info.input_shape)
        patch = next(p for p in fitted if p.name == "patch")
        return {}, f"default ({patch.image_default})", (f"Side of the square patches LIME switches on and off, "
                                                       f"in pixels: from {patch.lo} to {patch.hi}.")