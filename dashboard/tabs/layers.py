"""Model view: every layer now. A table of the layers (output shape, parameters, dead and
always-on units) and, for the layer picked (a click on its row or the picker), histograms
of its weights, biases, activations over the held-out rows and gradients of the loss."""
from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, dash_table, dcc, html, no_update
from dash.exceptions import PreventUpdate

from .. import ids, validate
from ..components import graph, redraw, shows_errors
from ..figures.common import HIGHLIGHT
from ..figures.history import layer_figure
from . import panel, visible_view

TAB = ids.TAB_LAYERS
LABEL = "Layers now"
LEVEL = "model"
VIEW = ("model",)
LOG = "log"
COLUMNS = (("layer", "Layer"), ("type", "Type"), ("shape", "Output (one sample)"), ("params", "Parameters"),
           ("units", "Units"), ("dead", "Dead"), ("always_on", "Always on"), ("saturated", "Saturated"),
           ("zeros", "Zero outputs"))
CAPTION = ("Units after a ReLU (a dense unit, or a convolution channel over all its positions): dead when the ReLU "
           "outputs 0 for every held-out row at every position (it never fires, so it adds nothing); always on "
           "when it outputs more than 0 everywhere (the ReLU never bends: the unit acts linearly). Sigmoid and "
           "tanh units count as saturated when every value lies within 2% of the range from a rail. Zero "
           "outputs: the share of a ReLU's outputs that are exactly 0.")


def _count(v):
    return "" if v is None else v


def rows(stats) -> list[dict]:
    out = []
    for s in stats.layers:
        out.append({"id": s.name, "layer": s.name, "type": s.type,
                    "shape": "×".join(map(str, s.shape)) if s.shape else "",
                    "params": s.params or "", "units": _count(s.units) if s.dead is not None or s.saturated
                    is not None else "", "dead": _count(s.dead), "always_on": _count(s.always_on),
                    "saturated": _count(s.saturated),
                    "zeros": "" if s.zero_share is None else f"{s.zero_share:.0%}"})
    return out


def summary(stats) -> str:
    relus = [s for s in stats.layers if s.dead is not None]
    if not relus:
        return (f"{len(stats.layers)} layers. No ReLU layer Glimpse can see, so no dead-unit counts "
                "(a ReLU applied as a function inside forward() has no module to watch).")
    dead = sum(s.dead for s in relus)
    units = sum(s.units for s in relus)
    worst = max(relus, key=lambda s: s.dead / max(s.units, 1))
    text = (f"{dead} of {units} ReLU units never fire on the {stats.rows:,} held-out rows"
            + (f"; most in {worst.name} ({worst.dead} of {worst.units})." if dead else "."))
    on = sum(s.always_on for s in relus)
    return text + (f" {on} fire on every row at every position (they act linearly)." if on else "")


TABLE_ID = {"type": ids.LAYERS_TABLE, "index": 0}     # a pattern id: the table comes with the output


def table(stats, chosen: str):
    return dash_table.DataTable(
        id=TABLE_ID, data=rows(stats), columns=[{"id": c, "name": n} for c, n in COLUMNS],
        cell_selectable=True, style_as_list_view=True, page_action="none",
        style_cell={"fontFamily": "inherit", "fontSize": 13, "padding": "4px 8px", "textAlign": "right",
                    "cursor": "pointer"},
        style_cell_conditional=[{"if": {"column_id": c}, "textAlign": "left"} for c in ("layer", "type")],
        style_header={"fontWeight": 600, "backgroundColor": "#f4f6f8"},
        style_data_conditional=[
            {"if": {"filter_query": f'{{id}} = "{chosen}"'}, "backgroundColor": "#fff1e6", "fontWeight": 600},
            {"if": {"filter_query": "{dead} > 0", "column_id": "dead"}, "color": HIGHLIGHT, "fontWeight": 600}])


@shows_errors
def render(service, model_id: str, layer=None, log: bool = False):
    """(children, layer options, layer shown)."""
    stats = service.model_view(model_id, "layer-stats")
    state = stats.layer(layer) if layer else None
    if state is None:       # first a layer with weights, else the first one
        state = next((s for s in stats.layers if s.weights is not None), stats.layers[0] if stats.layers else None)
    options = [{"label": f"{s.name} ({s.type})", "value": s.name} for s in stats.layers]
    if state is None:
        return [html.P("This model has no layer Glimpse can see.")], options, None
    note = [html.P(summary(stats), id=ids.LAYERS_SUMMARY, className="history-note")]
    if stats.grad_note:
        note.append(html.P(f"No gradients: {stats.grad_note}.", className="figure-caption"))
    children = note + [
        html.Div(table(stats, state.name), className="layers-table"), html.P(CAPTION + " Click a row to see that layer.", className="figure-caption"),
        graph(layer_figure(state, stats.rows, stats.grad_rows, log), id=ids.LAYERS_FIGURE)]
    return children, options, state.name


def layout():
    controls = [
        html.Label(["Layer", dcc.Dropdown(id=ids.LAYERS_PICK, clearable=False, searchable=False,
                                          className="history-layer")], className="control"),
        dcc.Checklist(id=ids.LAYERS_LOG, options=[{"label": "log counts", "value": LOG}], value=[], inline=True,
                      className="control"),
    ]
    return panel(TAB, "Layers now",
                 "Every layer as the model is now: its weights and biases, its outputs over the held-out rows, the "
                 "gradients of the loss, and the units that never fire.", controls)


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data"),
                  Output(ids.LAYERS_PICK, "options"), Output(ids.LAYERS_PICK, "value"),
                  Input(ids.view(TAB), "data"), Input(ids.LAYERS_PICK, "value"), Input(ids.LAYERS_LOG, "value"),
                  State(ids.TABS, "value"), State(ids.drawn(TAB), "data"))
    def _render(view, layer, log, tab, drawn):
        view = visible_view(service, tab, TAB, view, VIEW)
        new_model = ctx.triggered_id in (None, ids.view(TAB))
        layer = None if new_model else validate.name(layer, "layer")
        log = LOG in validate.names(log, "The log-counts option", (LOG,))
        got = render(service, view["model"], layer, log)
        if not isinstance(got, tuple):             # an alert: the model view failed
            return got, None, [], None
        children, options, layer = got
        children, shape = redraw(children, drawn)
        return children, shape, options, layer

    @app.callback(Output(ids.LAYERS_PICK, "value", allow_duplicate=True),
                  Input({"type": ids.LAYERS_TABLE, "index": ALL}, "active_cell"), State(ids.LAYERS_PICK, "options"),
                  prevent_initial_call=True)
    def _row(cells, options):
        """A click on a row picks its layer (the row id is the layer's name)."""
        cell = next((c for c in cells or [] if c), None) if isinstance(cells, list) else None
        if not isinstance(cell, dict):
            raise PreventUpdate
        name = validate.name(cell.get("row_id"), "The clicked layer")
        if name not in {o.get("value") for o in options or [] if isinstance(o, dict)}:
            raise PreventUpdate                    # a stale click from another model's table
        return name if name is not None else no_update
