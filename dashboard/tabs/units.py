"""Unit contributions (output-weight analysis): how the last dense layer's input units add up
to the explained score for this sample, and, for a unit clicked, what it responds to: its
top-activating held-out samples (from the model's shared held-out pass)."""
from __future__ import annotations

import numpy as np
from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from explain_core.errors import GlimpseError

from .. import heads, ids, validate
from ..components import alert, graph, note, redraw, shows_errors
from ..figures.samples import digit_thumbnail_uri
from ..figures.units import sum_text, units_figure
from ..sample_info import target_value
from . import panel, visible_view

TAB = ids.TAB_UNITS
LABEL = "Unit contributions"
LEVEL = "sample"
VIEW = ("model", "sample", "target")
BARS = {"type": ids.UNITS_BARS, "index": 0}
TABLE_FEATURES = 12     # feature columns shown for a table's top-activating rows


def contributions(service, model_id: str, sample_id: int, target):
    return service.model_view(model_id, "unit_contributions", sample=int(sample_id), target=target_value(target))


@shows_errors
def render(service, model_id: str, sample_id: int, target):
    info = service.model_info(model_id)
    r = contributions(service, model_id, sample_id, target)
    names = () if heads.regression(info) else info.class_names
    return [graph(units_figure(r, names), id=BARS), note(sum_text(r), className="completeness", id="units-sum")]


def default_unit(r) -> int:
    """The unit that pushes the score up most (the first bar)."""
    return int(np.argmax(r.contributions))


def clicked_unit(click) -> int | None:
    """The unit number of a clicked bar (None for the bias or the 'other units' bar)."""
    try:
        unit = int(click["points"][0]["customdata"][0])
    except (TypeError, KeyError, IndexError, ValueError):
        return None
    return unit if unit >= 0 else None


def _label(info, value) -> str:
    return heads.fmt(value) if heads.regression(info) else str(info.class_names[int(value)])


@shows_errors
def render_top(service, model_id: str, unit: int):
    """The unit's top-activating held-out samples: thumbnails (images) or rows (tables)."""
    info = service.model_info(model_id)
    r = service.model_view(model_id, "unit_responses")
    n_units = r.top_ids.shape[0]
    unit = validate.whole(unit, "unit", 0, n_units - 1)
    top, acts = r.top_ids[unit], r.top_values[unit]
    rows = service.sample_rows(model_id, top)
    X = service.dataset_for(model_id).X
    head = html.P([html.B(f"Unit {unit}"), f" of the {n_units} units feeding layer {r.layer}: mean activation "
                   f"{heads.fmt(r.mean[unit])}, above zero on {100 * float(r.active[unit]):.0f}% of "
                   f"{len(r.ids):,} held-out samples. Its {len(top)} most activating held-out samples "
                   "(click one to open it):"], className="units-head")
    if info.kind == "image":
        items = [html.Button(
            [html.Img(src=digit_thumbnail_uri(X[int(s)]), alt=f"sample {int(s)}", className="units-thumb-img"),
             html.Span(f"{heads.fmt(a)}", className="units-act")],
            id={"type": ids.UNITS_OPEN, "index": int(s)}, n_clicks=0, className="units-thumb",
            title=f"#{int(s)}: true {_label(info, rows.labels[k])}, predicted {_label(info, rows.predictions[k])}, "
                  f"activation {heads.fmt(a)}") for k, (s, a) in enumerate(zip(top, acts))]
        return html.Div([head, html.Div(items, className="units-gallery")])
    names = list(info.feature_names)[:TABLE_FEATURES]
    header = html.Tr([html.Th(h) for h in ["sample", "activation", "true", "predicted", *names]])
    body = [html.Tr([html.Td(html.Button(f"#{int(s)}", id={"type": ids.UNITS_OPEN, "index": int(s)}, n_clicks=0,
                                         className="btn-link")),
                     html.Td(heads.fmt(a)), html.Td(_label(info, rows.labels[k])),
                     html.Td(_label(info, rows.predictions[k])),
                     *[html.Td(heads.fmt(v)) for v in np.asarray(X[int(s)]).reshape(-1)[:len(names)]]])
            for k, (s, a) in enumerate(zip(top, acts))]
    more = (note(f"First {TABLE_FEATURES} of {len(info.feature_names)} features shown.")
            if len(info.feature_names) > TABLE_FEATURES else None)
    return html.Div([head, html.Div(html.Table([html.Thead(header), html.Tbody(body)], className="units-table"), className="units-scroll"),
                     more])


def layout():
    out = panel(TAB, "Unit contributions",
                "How the last dense layer adds up the explained score: each input unit's activation times its weight "
                "to that score, sorted, plus the bias. They sum exactly to the score (the logit).", [])
    out.children.append(html.Div(id=ids.UNITS_TOP, className="units-top"))
    return out


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data"),
                  Input(ids.view(TAB), "data"), State(ids.TABS, "value"), State(ids.drawn(TAB), "data"))
    def _render(view, tab, drawn):
        view = visible_view(service, tab, TAB, view, VIEW)
        return redraw(render(service, view["model"], view["sample"], view["target"]), drawn)

    @app.callback(Output(ids.UNITS_TOP, "children"), Input(ids.view(TAB), "data"),
                  Input({"type": ids.UNITS_BARS, "index": ALL}, "clickData"), State(ids.TABS, "value"))
    def _top(view, clicks, tab):
        view = visible_view(service, tab, TAB, view, VIEW)
        trigger = ctx.triggered_id
        unit = None
        click = (clicks or [None])[0]
        if isinstance(trigger, dict) and trigger.get("type") == ids.UNITS_BARS and click:   # not the new figure's
            unit = clicked_unit(click)                                                      # empty clickData
            if unit is None:          # the bias or the summed bar: nothing to show
                return alert("Click a unit's bar (the bias and the summed bar have no samples).", "info")
        if unit is None:
            try:
                unit = default_unit(contributions(service, view["model"], view["sample"], view["target"]))
            except GlimpseError:      # the figure's place above says why (shows_errors)
                return []
        return render_top(service, view["model"], unit)

    @app.callback(Output(ids.SELECT, "data", allow_duplicate=True),
                  Input({"type": ids.UNITS_OPEN, "index": ALL}, "n_clicks"), State(ids.MODEL, "data"),
                  prevent_initial_call=True)
    def _open(n_clicks, model_id):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(n for n in (n_clicks or []) if n):
            raise PreventUpdate
        model_id = validate.model_id(model_id)
        sample = validate.sample_id(trigger.get("index"))
        return {"model": model_id, "sample": sample} if sample is not None else no_update
