"""Tab 4: LIME, a weighted linear model fitted to the network's answers near the sample."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html

from .. import heads, ids
from ..components import graph, note, redraw, shows_errors
from ..figures.lime import lime_figure
from ..sample_info import target_value
from . import panel, visible_view

TAB = ids.TAB_LIME
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
def render(service, model_id: str, sample_id: int, target, n_samples=None, kernel_width=None):
    info = service.model_info(model_id)
    params = {}
    if n_samples not in (None, ""):
        params["n_samples"] = n_samples
    if kernel_width not in (None, ""):
        params["kernel_width"] = kernel_width
    result = service.explain(model_id, sample_id, "lime", target=target_value(target), **params)
    fig = heads.reword(lime_figure(result, info.feature_names, class_names=info.class_names), info, "LIME",
                       result.target, heads.lime_words(info))
    return [graph(fig, id="lime-figure"), fit_note(result)]


def layout():
    controls = [
        html.Label(["Perturbed samples", dcc.Input(id=ids.LIME_SAMPLES, type="number", value=DEFAULT_SAMPLES,
                                                   min=10, max=20000, step=10, debounce=True,
                                                   className="param-number")],
                   className="param", title="How many perturbed copies of the sample LIME runs through the model."),
        html.Label(["Kernel width", dcc.Input(id=ids.LIME_KERNEL, type="number", min=0, step="any",
                                              debounce=True, placeholder="default", className="param-number")],
                   className="param",
                   title="Width of the proximity kernel: small = only very close perturbations count. "
                         "Empty = default (0.25 for images, 0.75·√features for tables)."),
    ]
    return panel(TAB, "LIME",
                 "A linear surrogate fitted to the model's probability of the explained class (a regression's "
                 "predicted value) on perturbed copies of this sample: each bar (or image patch) is a signed weight.",
                 controls)


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data"),
                  Input(ids.view(TAB), "data"), Input(ids.LIME_SAMPLES, "value"), Input(ids.LIME_KERNEL, "value"),
                  State(ids.TABS, "value"), State(ids.drawn(TAB), "data"))
    def _render(view, n_samples, kernel_width, tab, drawn):
        view = visible_view(service, tab, TAB, view, VIEW)   # the numbers: checked by the engine (named)
        return redraw(render(service, view["model"], view["sample"], view["target"], n_samples, kernel_width),
                      drawn)