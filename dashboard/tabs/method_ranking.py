"""Which method to trust on this model (a model-level tab): every gradient and perturbation
method scored on held-out samples (deletion and insertion areas, infidelity, max-sensitivity,
randomisation ρ) as mean ± spread. Computed when asked, as a background job with progress
(explain_core/quality/model_view.py); cached per model weights and sample count."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from explain_core.errors import GlimpseError
from explain_core.quality.model_view import DEFAULT_SAMPLES, NAME, cached_ranking, progress_to

from .. import ids, validate
from ..components import alert, bar_style, note, progress_bar
from ..figures.common import METHOD_TITLES
from ..quality import TABLE_COLUMNS, draws_words, leaders, score_text, table_head
from . import panel, visible_view

TAB = ids.TAB_METHOD_RANKING
LABEL = "Method quality"
LEVEL = "model"
VIEW = ("model",)
SAMPLES, START, RESULT = "ranking-samples", "ranking-start", "ranking-result"
BAR, TEXT, PROGRESS = "ranking-bar", "ranking-text", "ranking-progress"


def layout():
    controls = [
        html.Label(["Held-out samples", dcc.Input(id=SAMPLES, type="number", value=DEFAULT_SAMPLES, min=1, max=200,
                                                  step=1, className="param-number")], className="param"),
        html.Button("Rank the methods", id=START, className="btn btn-primary"),
    ]
    out = panel(TAB, "Which method to trust on this model",
                "Every attribution method scored on held-out samples, each explaining its predicted "
                "class: a method that is best on most samples is the one to trust for this model.", controls)
    out.children.append(html.Div(progress_bar(BAR, TEXT), id=PROGRESS, style={"display": "none"}))
    return out


def ranking_table(ranking) -> html.Div:
    ranks = ranking.ranks()
    head = table_head()
    body = []
    for k in sorted(range(len(ranking.methods)), key=lambda k: ranks[ranking.methods[k]]):
        m = ranking.methods[k]
        cells = [html.Td(METHOD_TITLES.get(m, m))]
        for c, (key, _, _) in enumerate(TABLE_COLUMNS):
            flag = f" ⚠ {ranking.flagged[k]:.0%}" if key == "randomisation" and ranking.flagged[k] > 0 else ""
            cells.append(html.Td(score_text(key, ranking.mean[k, c], ranking.std[k, c]) + flag,
                                 className="best" if ranking.best.get(key) == m else None))
        cells.append(html.Td(f"{ranks[m]:.1f}", className="best" if ranks[m] == min(ranks.values()) else None))
        body.append(html.Tr(cells))
    return html.Div(className="quality-table", children=[
        html.Table([html.Thead(head), html.Tbody(body)], className="method-table"),
        note(f"Mean ± standard deviation over {len(ranking.samples)} held-out samples; best mean in each column "
             f"highlighted (↓ lower is better, ↑ higher). On this model {leaders(ranks)} overall. "
             "⚠ n%: the share of samples whose map barely changed when the model's weights were random."
             + draws_words(ranking.methods, ranking.draws),
             className="quality-line"),
    ])


def _samples(value) -> int:
    return validate.whole(None if value == "" else value, "Held-out samples", 1, 200, DEFAULT_SAMPLES)


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Input(ids.view(TAB), "data"), Input(SAMPLES, "value"),
                  State(ids.TABS, "value"))
    def _cached(view, n, tab):
        view = visible_view(service, tab, TAB, view, VIEW)
        try:
            ranking = cached_ranking(service, view["model"], _samples(n))
        except GlimpseError as e:
            return alert(str(e))
        if ranking is None:
            return note("Not computed yet for this model: press “Rank the methods” (about 3 s per sample).")
        return ranking_table(ranking)

    @app.callback(Output(ids.output(TAB), "children", allow_duplicate=True), Input(START, "n_clicks"),
                  State(ids.MODEL, "data"), State(SAMPLES, "value"),
                  background=True, prevent_initial_call=True, interval=500,
                  progress=[Output(BAR, "style"), Output(TEXT, "children")],
                  running=[(Output(START, "disabled"), True, False),
                           (Output(PROGRESS, "style"), {}, {"display": "none"})])
    def _start(set_progress, clicks, model_id, n):
        if not clicks:
            raise PreventUpdate
        try:
            n = _samples(n)
            set_progress((bar_style(0), f"Scoring every method on {n} held-out samples…"))
            with progress_to(lambda p: set_progress((bar_style(p["done"] / p["total"]),
                                                     f"{p['done']} of {p['total']} samples scored"))):
                ranking = service.model_view(validate.model_id(model_id), NAME, n_samples=n)
        except GlimpseError as e:
            return alert(str(e))
        return ranking_table(ranking)

