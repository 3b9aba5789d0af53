"""Tab 2: the learned weights of a layer (convolution kernels, dense matrices)."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from explain_core.errors import GlimpseError

from .. import ids, validate
from ..components import graph, redraw, shows_errors
from ..figures.weight_units import per_unit, top_units_figure, unit_maps_figure
from ..figures.weights import layer_weights_figure
from . import layer_choice, panel, visible_view

TAB = ids.TAB_WEIGHTS
LABEL = "Filter weights"
LEVEL = "sample"
VIEW = ("model",)
WEIGHT_TYPES = ("Conv2d", "Linear")
TOP, UNIT, WHOLE = "top", "unit", "whole"
VIEWS = ((TOP, "Strongest units"), (UNIT, "One unit"), (WHOLE, "Whole layer"))


def layer_options(info) -> list[dict]:
    return [{"label": f"{name} ({kind})", "value": name} for name, kind in info.layers if kind in WEIGHT_TYPES]


@shows_errors
def render(service, model_id: str, layer: str | None, view: str | None = TOP, unit=None):
    """Weights do not depend on the sample: one cached result per model. A dense layer whose
    rows have a shape (it reads a feature map or an image) is drawn unit by unit (`view`:
    the strongest units, one unit, or the whole layer); any other layer whole."""
    result = service.explain(model_id, 0, "weights")
    chosen = layer_choice(result.layers, layer)
    if chosen is None:
        return []
    view = validate.choice(view, tuple(v for v, _ in VIEWS), "The weights view") or TOP
    if not per_unit(chosen) or view == WHOLE:
        return [graph(layer_weights_figure(chosen))]
    if view == TOP:
        return [graph(top_units_figure(chosen))]
    n = chosen.weights.shape[0]
    unit = validate.whole(unit, f"The unit of {chosen.name}", 0, n - 1, default=0)
    return [graph(unit_maps_figure(chosen, unit))]


def unit_controls(service, model_id: str, layer: str | None) -> tuple[dict, str]:
    """(style, the units' range in words) of the per-unit controls: shown only for a layer whose
    rows have a shape. The field has no browser max: a number out of range reaches the server,
    which says so in words."""
    chosen = layer_choice(service.explain(model_id, 0, "weights").layers, layer)
    if chosen is None or not per_unit(chosen):
        return {"display": "none"}, ""
    return {}, f" of 0–{int(chosen.weights.shape[0]) - 1}"


def layout():
    controls = [html.Label(["Layer", dcc.Dropdown(id=ids.WEIGHT_LAYER, clearable=False, searchable=False)],
                           className="control"),
                html.Div(id=ids.WEIGHT_PER_UNIT, style={"display": "none"}, className="control", children=[
                    dcc.RadioItems(id=ids.WEIGHT_VIEW, value=TOP, inline=True,
                                   options=[{"label": label, "value": v} for v, label in VIEWS]),
                    html.Label(["Unit ", dcc.Input(id=ids.WEIGHT_UNIT, type="number", step=1, value=0,
                                                   debounce=True, style={"width": "5em"}),
                                html.Span(id=ids.WEIGHT_UNITS, className="muted")],
                               title="The unit drawn with “One unit”: its weights in the shape of what it reads"),
                ])]
    return panel(TAB, "Filter weights",
                 "The weights the model learned (the same for every sample). Red is positive, blue negative, "
                 "white zero. A dense layer that reads an image or a feature map is drawn unit by unit.", controls)


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data"),
                  Input(ids.view(TAB), "data"), Input(ids.WEIGHT_LAYER, "value"),
                  Input(ids.WEIGHT_VIEW, "value"), Input(ids.WEIGHT_UNIT, "value"),
                  State(ids.TABS, "value"), State(ids.drawn(TAB), "data"))
    def _render(view, layer, how, unit, tab, drawn):
        view, layer = visible_view(service, tab, TAB, view, VIEW), validate.name(layer, "layer")
        return redraw(render(service, view["model"], layer, how, unit), drawn)

    @app.callback(Output(ids.WEIGHT_PER_UNIT, "style"), Output(ids.WEIGHT_UNITS, "children"),
                  Input(ids.WEIGHT_LAYER, "value"), State(ids.MODEL, "data"))
    def _unit_controls(layer, model_id):
        if not model_id or not layer:
            raise PreventUpdate
        try:
            return unit_controls(service, validate.model_id(model_id), validate.name(layer, "layer"))
        except GlimpseError:     # an unknown model or layer: the tab's own output says why
            return {"display": "none"}, ""

    @app.callback(Output(ids.WEIGHT_LAYER, "options"), Output(ids.WEIGHT_LAYER, "value"),
                  Input(ids.MODEL, "data"))
    def _layers(model_id):
        if not model_id:   # no model before the models are ready
            raise PreventUpdate
        options = layer_options(service.model_info(validate.model_id(model_id)))
        return options, options[0]["value"] if options else None
