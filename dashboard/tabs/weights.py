"""Tab 2: the learned weights of a layer (convolution kernels, dense matrices)."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from .. import ids, validate
from ..components import graph, redraw, shows_errors
from ..figures.weights import layer_weights_figure
from . import layer_choice, panel, visible_view

TAB = ids.TAB_WEIGHTS
LABEL = "Filter weights"
LEVEL = "sample"
VIEW = ("model",)
WEIGHT_TYPES = ("Conv2d", "Linear")


def layer_options(info) -> list[dict]:
    return [{"label": f"{name} ({kind})", "value": name} for name, kind in info.layers if kind in WEIGHT_TYPES]


@shows_errors
def render(service, model_id: str, layer: str | None):
    """Weights do not depend on the sample: one cached result per model."""
    result = service.explain(model_id, 0, "weights")
    chosen = layer_choice(result.layers, layer)
    return [graph(layer_weights_figure(chosen))] if chosen is not None else []


def layout():
    controls = [html.Label(["Layer", dcc.Dropdown(id=ids.WEIGHT_LAYER, clearable=False, searchable=False)],
                           className="control")]
    return panel(TAB, "Filter weights",
                 "The weights the model learned (the same for every sample). Red is positive, blue negative, "
                 "white zero.", controls)


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data"),
                  Input(ids.view(TAB), "data"), Input(ids.WEIGHT_LAYER, "value"),
                  State(ids.TABS, "value"), State(ids.drawn(TAB), "data"))
    def _render(view, layer, tab, drawn):
        view, layer = visible_view(service, tab, TAB, view, VIEW), validate.name(layer, "layer")
        return redraw(render(service, view["model"], layer), drawn)

    @app.callback(Output(ids.WEIGHT_LAYER, "options"), Output(ids.WEIGHT_LAYER, "value"),
                  Input(ids.MODEL, "data"))
    def _layers(model_id):
        if not model_id:   # no model before the models are ready
            raise PreventUpdate
        options = layer_options(service.model_info(validate.model_id(model_id)))
        return options, options[0]["value"] if options else None
