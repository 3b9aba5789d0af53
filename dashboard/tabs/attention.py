"""Attention (a per-sample tab): for a model with attention layers, the class token's
attention over the patches in every layer × head, one layer/head's full token × token
matrix, and attention rollout beside the input. Models without attention are told so."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html

from explain_core.errors import ParameterError

from .. import ids, validate
from ..components import alert, graph, note, redraw, shows_errors
from ..figures.attention import MEAN_HEAD, head_grid_figure, head_label, rollout_figure, token_matrix_figure
from . import panel, visible_view

TAB = ids.TAB_ATTENTION
LABEL = "Attention"
LEVEL = "sample"
VIEW = ("model", "sample")
FUSIONS = ("mean", "max", "min")
NOT_ATTRIBUTION = ("Attention is not attribution: it says which tokens the model mixes into the class token, "
                   "not which pixels raised or lowered the class score (the gradient maps answer that, and rollout "
                   "is among them there, with its quality scores).")


def _dropdown(cid, value, options, width):
    return dcc.Dropdown(id=cid, value=value, clearable=False, searchable=False, options=options,
                        style={"width": width})


def layout():
    controls = [html.Div(id=ids.ATTN_CONTROLS, className="tab-controls", children=[
        html.Label(["Matrix of layer", _dropdown(ids.ATTN_LAYER, 0, [{"label": "layer 1", "value": 0}], "8em")],
                   className="control", title="The layer whose full token × token matrix is drawn below"),
        html.Label(["Head", _dropdown(ids.ATTN_HEAD, MEAN_HEAD, [{"label": head_label(MEAN_HEAD), "value": MEAN_HEAD}],
                                      "11em")], className="control"),
        html.Label(["Rollout fuses the heads by their", _dropdown(ids.ATTN_FUSION, "mean", [
            {"label": "mean", "value": "mean"}, {"label": "max", "value": "max"},
            {"label": "min", "value": "min"}], "8em")], className="control",
            title="Abnar & Zuidema average the heads; max and min are later variants"),
    ])]
    return panel(TAB, "Attention", "Where a transformer looks: its class token's attention to the image's patches, "
                 "per layer and head, and rolled out through all layers.",
                 controls, busy="Reading the attention of every layer and head…")


def choices(maps, layer, head) -> tuple[int, int, list, list]:
    """(layer, head, layer options, head options) for this model: a forged value is a
    message; one left over from another model (out of range) falls back to the first layer
    and the heads' mean."""
    n_layers, n_heads = maps.weights.shape[:2]
    layer = validate.whole(layer, "The layer", 0, None, default=0)
    head = validate.whole(head, "The head", MEAN_HEAD, None, default=MEAN_HEAD)
    layer = layer if layer < n_layers else 0
    head = head if head < n_heads else MEAN_HEAD
    layers = [{"label": f"layer {k + 1}", "value": k, "title": name} for k, name in enumerate(maps.layers)]
    heads = [{"label": head_label(h), "value": h} for h in (MEAN_HEAD, *range(n_heads))]
    return layer, head, layers, heads


@shows_errors
def render(service, model_id: str, sample_id: int, layer=0, head=MEAN_HEAD, fusion="mean"):
    """The tab's children (and the pickers' options, for the callback)."""
    fusion = validate.choice(fusion, FUSIONS, "The head fusion", optional=False)
    try:
        maps = service.explain(model_id, sample_id, "attention")
    except ParameterError as e:
        if "no attention layers" not in str(e):
            raise
        return [alert(str(e), "info")]
    layer, head, _, _ = choices(maps, layer, head)
    rollout = service.explain(model_id, sample_id, "attention_rollout", head_fusion=fusion)
    n_layers, n_heads, n_tokens = maps.weights.shape[:3]
    return [
        html.Div([graph(head_grid_figure(maps), id="attention-heads"),
                  graph(rollout_figure(rollout), id="attention-rollout")], className="panes two"),
        note(f"{n_layers} attention layers × {n_heads} heads over {n_tokens} tokens (the class token and "
             f"{n_tokens - 1} patches). A row of a layer's matrix is one token's attention over all the tokens: "
             f"softmax weights, each row sums to 1. {NOT_ATTRIBUTION}", className="attention-note",
             id="attention-words"),
        graph(token_matrix_figure(maps, layer, head), id="attention-matrix"),
    ]


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data"),
                  Output(ids.ATTN_LAYER, "options"), Output(ids.ATTN_HEAD, "options"), Output(ids.ATTN_CONTROLS, "style"),
                  Input(ids.view(TAB), "data"), Input(ids.ATTN_LAYER, "value"), Input(ids.ATTN_HEAD, "value"),
                  Input(ids.ATTN_FUSION, "value"), State(ids.TABS, "value"), State(ids.drawn(TAB), "data"))
    def _render(view, layer, head, fusion, tab, drawn):
        view = visible_view(service, tab, TAB, view, VIEW)
        children = render(service, view["model"], view["sample"], layer, head, fusion)
        layers, heads = picker_options(service, view)
        return (*redraw(children, drawn), layers, heads, {} if layers else {"display": "none"})


def picker_options(service, view) -> tuple[list, list]:
    """The layer and head pickers' options for the view's model (empty without attention)."""
    try:
        maps = service.explain(view["model"], view["sample"], "attention")      # cached by render
    except ParameterError:
        return [], []
    _, _, layers, heads = choices(maps, None, None)
    return layers, heads
