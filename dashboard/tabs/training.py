"""Model view: training history. Loss and accuracy (or MAE) per epoch on training and
held-out rows, and a layer's weights, activations or gradients over the epochs as a
ridgeline (TensorBoard's histogram view). A model trained elsewhere has no history: its
final state shows instead, and the page says so."""
from __future__ import annotations

from dash import Input, Output, State, ctx, dcc, html, no_update

from .. import ids, validate
from ..components import alert, graph, redraw, shows_errors
from ..figures.history import KIND_WORDS, loss_figure, ridgeline_figure, score_figure
from . import panel, visible_view

TAB = ids.TAB_TRAINING
LABEL = "Training history"
LEVEL = "model"
VIEW = ("model",)
KIND_ORDER = ("weights", "biases", "activations", "gradients")
LOG = "log"


def choices(history) -> tuple[list[dict], list[dict]]:
    """(layer options, kind options) the history holds, in forward and KIND_ORDER order."""
    names = [n for n, _ in history.layers] or list(dict.fromkeys(s.layer for s in history.series))
    types = dict(history.layers)
    have = {s.layer for s in history.series}
    layers = [{"label": f"{n} ({types[n]})" if n in types else n, "value": n} for n in names if n in have]
    kinds = [{"label": k, "value": k} for k in KIND_ORDER if any(s.kind == k for s in history.series)]
    return layers, kinds


def pick(history, layer, kind):
    """The series for (layer, kind), falling back to the layer's first kind, then to the
    first series of the kind, then the first series (a stale picker after a model switch)."""
    s = history.of(layer, kind)
    if s is None:
        s = next((x for x in history.series if x.layer == layer), None) if layer else None
    if s is None:
        s = next((x for x in history.series if x.kind == kind), None) or (history.series[0] if history.series else None)
    return s


def _caption(text: str):
    return html.P(text, className="figure-caption")


@shows_errors
def render(service, model_id: str, layer=None, kind=None, log: bool = False):
    """(children, layer options, layer shown, kind options, kind shown)."""
    view = service.model_view(model_id, "training-history")
    h = view.history
    layers, kinds = choices(h)
    series = pick(h, layer, kind)
    out = [html.P(view.note, id=ids.TRAIN_NOTE, className="history-note") if view.recorded
           else alert(view.note, "info")]
    if view.recorded:
        rows = f"{h.train_rows:,} training rows" if h.train_rows else "the training rows"
        out.append(html.Div(className="errors-grid", children=[
            html.Section([graph(loss_figure(h), id=ids.TRAIN_LOSS)]),
            html.Section([graph(score_figure(h), id=ids.TRAIN_SCORE)])]))
        out.append(_caption(f"Scored at the end of every epoch, in evaluation mode: {rows} (evenly spread, the "
                            "same every epoch) and every held-out row. The dotted line is the mean over the "
                            "epoch's training batches as the optimiser met them (augmented where training "
                            "augments, while the weights moved). The last held-out value is the model card's."))
    if series is None:
        return out + [alert("This model has no layer Glimpse can show histograms of.", "info")], layers, None, \
            kinds, None
    if view.recorded:
        epochs = h.epochs if series.epochs is None else series.epochs
        out += [graph(ridgeline_figure(series, epochs, log, len(h.epochs)), id=ids.TRAIN_RIDGES),
                _caption(f"One curve per epoch, the last in front: how the layer's {KIND_WORDS[series.kind]} "
                         f"moved while it trained. Activations and gradients are taken on the same "
                         f"{h.fixed_rows} held-out rows every epoch; gradients are of the training loss "
                         "with respect to the layer's weights. Bins are fixed across epochs.")]
    else:
        out += [graph(ridgeline_figure(series, [0], log), id=ids.TRAIN_RIDGES),
                _caption("The final state only: one histogram, from the 'Layers now' view's numbers.")]
    return out, layers, series.layer, kinds, series.kind


def layout():
    controls = [
        html.Label(["Layer", dcc.Dropdown(id=ids.TRAIN_LAYER, clearable=False, searchable=False,
                                          className="history-layer")], className="control"),
        dcc.RadioItems(id=ids.TRAIN_KIND, value="weights", inline=True, className="control radio",
                       options=[{"label": k, "value": k} for k in ("weights", "activations", "gradients")]),
        dcc.Checklist(id=ids.TRAIN_LOG, options=[{"label": "log heights", "value": LOG}], value=[],
                      inline=True, className="control"),
    ]
    return panel(TAB, "Training history",
                 "How the model learned, epoch by epoch: its loss and accuracy on training and held-out rows, "
                 "and how each layer's values moved.", controls)


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data"),
                  Output(ids.TRAIN_LAYER, "options"), Output(ids.TRAIN_LAYER, "value"),
                  Output(ids.TRAIN_KIND, "options"), Output(ids.TRAIN_KIND, "value"),
                  Input(ids.view(TAB), "data"), Input(ids.TRAIN_LAYER, "value"), Input(ids.TRAIN_KIND, "value"),
                  Input(ids.TRAIN_LOG, "value"), State(ids.TABS, "value"), State(ids.drawn(TAB), "data"))
    def _render(view, layer, kind, log, tab, drawn):
        view = visible_view(service, tab, TAB, view, VIEW)
        new_model = ctx.triggered_id in (None, ids.view(TAB))
        layer = None if new_model else validate.name(layer, "layer")
        kind = validate.choice(kind, KIND_ORDER, "The histogram's values") or "weights"
        log = LOG in validate.names(log, "The log-heights option", (LOG,))
        got = render(service, view["model"], layer, kind, log)
        if not isinstance(got, tuple):             # an alert: the model view failed
            return got, None, [], None, no_update, no_update
        children, layers, layer, kinds, kind = got
        children, shape = redraw(children, drawn)
        return children, shape, layers, layer, kinds, kind
