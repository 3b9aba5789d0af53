"""Model view: the architecture graph (explain_core/model_views/architecture.py), drawn top
to bottom with dash-cytoscape. A click on a layer opens its activations for the selected
sample (the Layer activations tab with that layer picked)."""
from __future__ import annotations

import dash_cytoscape as cyto
from dash import ALL, Input, Output, State, html
from dash.exceptions import PreventUpdate

from explain_core.errors import GlimpseError, ParameterError

from .. import ids, validate
from ..components import alert, note
from ..figures.architecture import LAYOUT, graph_elements, graph_height, stylesheet, summary
from . import panel, visible_view

cyto.load_extra_layouts()     # dagre (top-to-bottom ranks), bundled with the package: no download
# Its development bundle (served under debug=True) is webpack's eval() build, which the page's
# Content-Security-Policy refuses (the whole page then fails to render): always serve the
# minified one, which evaluates no strings when it loads.
for _dist in cyto._js_dist:
    _dist.pop("dev_package_path", None)

TAB = ids.TAB_ARCH
LABEL = "Architecture"
LEVEL = "model"
VIEW = ("model",)
GRAPH_ID = {"type": ids.ARCH_GRAPH, "index": 0}   # made with the output: laid out in a visible box


def render(service, model_id: str) -> list:
    try:
        graph = service.model_view(model_id, "architecture")
        info = service.model_info(model_id)
    except GlimpseError as e:
        return [alert(str(e))]
    openable = [name for name, _ in info.layers]
    children = [html.P(summary(graph), className="arch-summary", id="arch-summary")]
    children += [note(text, className="arch-note") for text in graph.notes]
    if len(graph.nodes) > 400:
        return children
    children.append(note("Boxes are layers (blue: convolutions, green: dense), ovals the operations between them. "
                         "Click a layer with a blue border to see its activations for the selected sample.",
                         className="arch-hint"))
    children.append(cyto.Cytoscape(id=GRAPH_ID, elements=graph_elements(graph, openable), layout=LAYOUT,
                                   stylesheet=stylesheet(), minZoom=0.3, maxZoom=2.0, wheelSensitivity=1,
                                   boxSelectionEnabled=False, className="arch-graph",
                                   style={"height": f"{graph_height(graph)}px", "width": "100%"}))
    return children


def clicked_layer(service, model_id, data) -> str:
    """The layer a clicked node stands for, checked against the model's layers."""
    if not isinstance(data, dict):
        raise PreventUpdate
    layer = validate.name(data.get("layer"), "The clicked layer")
    if not layer:
        raise PreventUpdate          # an operation, the input or the output: nothing to open
    known = [name for name, _ in service.model_info(validate.model_id(model_id)).layers]
    if layer not in known:
        raise ParameterError(f"The model has no layer {layer!r} whose activations can be shown")
    return layer


def layout():
    return panel(TAB, "Architecture", "The model's structure, traced from the module itself: each layer with its "
                 "output shape (one sample) and parameter count, top to bottom as data flows.", [])


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Input(ids.view(TAB), "data"), State(ids.TABS, "value"))
    def _render(view, tab):
        try:
            view = visible_view(service, tab, TAB, view, VIEW)
        except GlimpseError as e:
            return [alert(str(e))]
        return render(service, view["model"])

    @app.callback(Output(ids.TABS, "value", allow_duplicate=True), Output(ids.ACT_LAYER, "value", allow_duplicate=True),
                  Input({"type": ids.ARCH_GRAPH, "index": ALL}, "tapNodeData"), State(ids.MODEL, "data"),
                  prevent_initial_call=True)
    def _open(taps, model_id):
        if not isinstance(taps, list) or not taps:
            raise PreventUpdate
        return ids.TAB_ACTIVATIONS, clicked_layer(service, model_id, taps[0])
