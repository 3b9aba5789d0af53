"""Tab 1: what each layer outputs for the selected sample."""
from __future__ import annotations

from dash import Input, Output, dcc, html

from .. import ids
from ..components import graph, shows_errors
from ..figures.activations import layer_activation_figure
from . import layer_choice, panel, require_visible

TAB = ids.TAB_ACTIVATIONS


def layer_options(info) -> list[dict]:
    return [{"label": "All layers, stacked", "value": ids.ALL_LAYERS}] + [
        {"label": f"{name} ({kind})", "value": name} for name, kind in info.layers]


def default_layer(info) -> str:
    return info.layers[0][0] if info.layers else ids.ALL_LAYERS


@shows_errors
def render(service, model_id: str, sample_id: int, layer: str | None):
    result = service.explain(model_id, sample_id, "activations")
    if layer == ids.ALL_LAYERS:
        shown = list(result.layers)
    else:
        chosen = layer_choice(result.layers, layer)
        shown = [chosen] if chosen is not None else []
    return [graph(layer_activation_figure(la)) for la in shown]


def layout():
    controls = [html.Label(["Layer", dcc.Dropdown(id=ids.ACT_LAYER, clearable=False, searchable=False)],
                           className="control")]
    return panel(TAB, "Layer activations",
                 "What each layer outputs for this sample. Convolution layers show one map per channel; "
                 "the most active channels (highest mean) are outlined.", controls)


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"),
                  Input(ids.STATE, "data"), Input(ids.TABS, "value"), Input(ids.ACT_LAYER, "value"))
    def _render(state, tab, layer):
        require_visible(tab, TAB, state)
        return render(service, state["model"], state["sample"], layer)

    @app.callback(Output(ids.ACT_LAYER, "options"), Output(ids.ACT_LAYER, "value"),
                  Input(ids.MODEL, "data"))
    def _layers(model_id):
        info = service.model_info(model_id)
        return layer_options(info), default_layer(info)
