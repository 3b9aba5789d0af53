"""Tab 1: what each layer outputs for the selected sample."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from .. import heads, ids, validate
from ..components import graph, redraw, shows_errors
from ..figures.activations import layer_activation_figure
from . import layer_choice, panel, visible_view

TAB = ids.TAB_ACTIVATIONS
LABEL = "Layer activations"
LEVEL = "sample"
VIEW = ("model", "sample")


def layer_options(info) -> list[dict]:
    return [{"label": "All layers, stacked", "value": ids.ALL_LAYERS}] + [
        {"label": f"{name} ({kind})", "value": name} for name, kind in info.layers]


PLUMBING = ("Flatten", "Identity", "Dropout", "Unflatten")   # layers that only pass their input on


def default_layer(info) -> str:
    """The layer the tab opens on: a convolution model's first convolution (its feature maps
    read as pictures), else the output layer (one bar per class); never a Flatten, which
    only repeats the input's pixels."""
    layers = [(name, kind) for name, kind in info.layers if kind not in PLUMBING]
    if not layers:
        return info.layers[0][0] if info.layers else ids.ALL_LAYERS
    convs = [name for name, kind in layers if kind == "Conv2d"]
    return convs[0] if convs else layers[-1][0]


def output_names(info, result, layer) -> tuple:
    """The class names when `layer` is the output layer of a classifier (its units are the
    classes), else ()."""
    names = tuple(info.class_names)
    last = result.layers[-1] if result.layers else None
    if heads.regression(info) or layer is not last or layer.values.size != len(names):
        return ()
    return names


@shows_errors
def render(service, model_id: str, sample_id: int, layer: str | None):
    result = service.explain(model_id, sample_id, "activations")
    info = service.model_info(model_id)
    if layer == ids.ALL_LAYERS:
        shown = list(result.layers)
    else:
        chosen = layer_choice(result.layers, layer)
        shown = [chosen] if chosen is not None else []
    return [graph(layer_activation_figure(la, class_names=output_names(info, result, la)), id=f"activations-{i}")
            for i, la in enumerate(shown)]


def layout():
    controls = [html.Label(["Layer", dcc.Dropdown(id=ids.ACT_LAYER, clearable=False, searchable=False)],
                           className="control")]
    return panel(TAB, "Layer activations",
                 "What each layer outputs for this sample. Convolution layers show one map per channel; "
                 "the most active (largest mean value, signed) are outlined; the output layer has one bar per class.", controls)


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data"),
                  Input(ids.view(TAB), "data"), Input(ids.ACT_LAYER, "value"),
                  State(ids.TABS, "value"), State(ids.drawn(TAB), "data"))
    def _render(view, layer, tab, drawn):
        view, layer = visible_view(service, tab, TAB, view, VIEW), validate.name(layer, "layer")
        return redraw(render(service, view["model"], view["sample"], layer), drawn)

    @app.callback(Output(ids.ACT_LAYER, "options"), Output(ids.ACT_LAYER, "value"),
                  Input(ids.MODEL, "data"))
    def _layers(model_id):
        if not model_id:   # no model before the models are ready
            raise PreventUpdate
        info = service.model_info(validate.model_id(model_id))
        return layer_options(info), default_layer(info)
