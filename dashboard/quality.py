"""The gradient tab's quality panel: how far to trust the map shown, computed when asked
(a button), and every method ranked for this sample ("Which method to trust?").

Each score comes with one plain line saying what good looks like. The engine computes
(explain_core/quality); this module lays out and words the results.
"""
from __future__ import annotations

import numpy as np
from dash import ALL, Input, Output, State, dcc, html, set_props
from dash.exceptions import PreventUpdate

from . import ids, validate
from .components import alert, graph, note, shows_errors
from .figures.common import METHOD_TITLES, class_name, png_data_uri
from .figures.quality import curves_figure, randomisation_figure, spread_figure
from .params import collect_params
from .sample_info import target_value

LOW_FIT = 0.5          # LIME's weighted R² below this gets a warning
SEEDS = 5
TABLE_COLUMNS = (("deletion_auc", "Deletion area", "low"), ("insertion_auc", "Insertion area", "high"),
                 ("infidelity", "Infidelity", "low"), ("sensitivity", "Max-sensitivity", "low"),
                 ("randomisation", "Randomisation ρ", "low"))


def section():
    """Buttons and output areas, under the maps."""
    loading = "Computing: each check runs the model on a few hundred altered copies of this sample…"
    return html.Div(className="quality", children=[
        html.Div(className="quality-buttons", children=[
            html.Button("How far can I trust this map?", id=ids.QUALITY_RUN, className="btn"),
            html.Button("Which method to trust for this sample?", id=ids.QUALITY_TABLE_RUN, className="btn"),
        ]),
        dcc.Loading(html.Div(id=ids.QUALITY_OUT), custom_spinner=html.Div(loading, className="loading-words"),
                    delay_show=100),
        dcc.Loading(html.Div(id=ids.QUALITY_TABLE_OUT),
                    custom_spinner=html.Div("Ranking every method on this sample (a few seconds)…",
                                            className="loading-words"), delay_show=100),
    ])


def _what(info, target: int) -> str:
    return "the value" if info.task == "regression" else f"class {class_name(info.class_names, target)}"


def score_lines(report, sanity, info) -> list:
    c = report.curves
    unit = "probability" if c.quantity == "probability" else "predicted value"
    q = report.quality
    rows = [
        ("Deletion area", c.deletion_auc, f"lower is better: the {unit} should fall fast when the features this "
                                          "map ranks first are removed."),
        ("Insertion area", c.insertion_auc, f"higher is better: the {unit} should come back fast when they are "
                                            "put back first."),
        ("Infidelity", report.infidelity, f"lower is better (0 is perfect): how far the map, best scaled, misses the "
                                          f"output's change under {q['n_perturb']} random nudges of the input."),
        ("Max-sensitivity", report.sensitivity, "lower is better: the most the map changed (relative to its size) "
                                                f"over {q['n_draws']} tiny moves of the input ({q['radius']:.0%} of "
                                                "its scale)."),
        ("Randomisation ρ", sanity.final, "lower is better (below 0.5): how alike the map stays once every layer's "
                                          "weights are random; a map that explains the model must change."),
    ]
    items = [html.Li([html.B(f"{name}: {value:.3g}"), " — ", text], className="quality-line")
             for name, value, text in rows]
    out = [html.Ul(items, className="quality-lines")]
    if sanity.flagged:
        out.append(alert(f"This map barely changes when the model's weights are random (ρ = {sanity.final:.2f}): "
                         "it reflects the input more than what the model learned. Prefer a method whose map "
                         "changes.", "warning"))
    return out


def thumbnails(sanity) -> html.Div:
    """Images: the original map and each randomised step's, |map| summed over channels."""
    def img(a, caption):
        a = np.abs(np.asarray(a, dtype=np.float64))
        a2 = a.sum(0) if a.ndim == 3 else a
        return html.Figure([html.Img(src=png_data_uri(a2), className="thumb-map"), html.Figcaption(caption)])
    tiles = [img(sanity.original, "real model")]
    tiles += [img(m, f"{'+ ' if k else ''}{n} ρ {r:.2f}") for k, (m, n, r) in
              enumerate(zip(sanity.maps, sanity.layers, sanity.spearman))]
    return html.Div(tiles, className="quality-thumbs")


def stability_part(stab, info) -> list:
    words = (f"Over {len(stab.seeds)} seeds the maps agree on the order of the features with rank correlation "
             f"ρ = {stab.agreement:.2f} (1: identical order; below about 0.7, read the details with care).")
    parts = [html.H4("Stability over seeds"), note(words, className="quality-line")]
    if info.kind == "image":
        std = np.asarray(stab.std, dtype=np.float64)
        std = std.sum(0) if std.ndim == 3 else std
        parts.append(html.Div([html.Figure([html.Img(src=png_data_uri(std), className="thumb-map big"),
                                            html.Figcaption(f"std over seeds (max {std.max():.3g})")])],
                              className="quality-thumbs"))
    else:
        parts.append(graph(spread_figure(stab, info.feature_names), id="quality-spread"))
    if stab.r2:      # a bad fit is said above the spread (fit_alerts); here how it varies
        parts.append(note(f"Local fit (weighted R²) over the seeds: {min(stab.r2):.2f} to {max(stab.r2):.2f}"
                          + (f", below {LOW_FIT} on average: the surrogate describes the model poorly here."
                             if stab.low_fit else "."), className="quality-line"))
    return parts


def fit_warning(score: float, image: bool) -> str | None:
    """Plain words for a LIME surrogate that fits badly (weighted R² < LOW_FIT), or None."""
    if not np.isfinite(score) or score >= LOW_FIT:
        return None
    head = (f"The linear surrogate fits the model badly here (weighted R² {score:.2f}: it explains "
            f"{max(score, 0) * 100:.0f}% of how the model's answer varies among the perturbed copies). "
            "Treat these weights as rough. Try more perturbed samples or another kernel width (smaller: "
            "only close copies count)")
    return head + ("; larger patches may help too." if image else "; compare with integrated gradients.")


def surrogate_words(result, probability: bool) -> str | None:
    """When a probability's surrogate predicts outside 0..1 for the sample itself: say what that means."""
    local = float(result.extras.get("prediction_local", 0.5))
    if not probability or 0.0 <= local <= 1.0:
        return None
    return (f"The surrogate's straight line gives {local:.3f} for this sample, outside the 0–1 a probability can "
            f"take (the model gives {float(result.extras['prediction_model']):.3f}): a straight line does not "
            "follow the model's answer here, so its weights are only a rough guide.")


def fit_alerts(result, info) -> list:
    """The LIME tab's warnings under its fit note: a bad fit, and a probability's surrogate
    predicting outside 0..1 for the sample itself."""
    out = []
    warning = fit_warning(float(result.extras.get("score", 1.0)), info.kind == "image")
    if warning:
        out.append(alert(warning, "warning"))
    words = surrogate_words(result, info.task != "regression")
    if words:
        out.append(alert(words, "info"))
    return out


def ig_steps_line(shown, adaptive):
    """How many steps this sample needs for a 1% completeness error, beside what the map used."""
    e = adaptive.extras
    if shown.params.get("n_steps") == "auto":       # the map above is the adaptive run itself
        s = shown.extras
        return note(f"Integrated gradients to {100 * s['tolerance']:g}% accuracy: the map above used "
                    f"{s['steps_used']} steps, chosen for this sample (tried {', '.join(map(str, s['steps_tried']))}), "
                    f"and is off by {100 * s['relative_error']:.2f}%"
                    + ("." if s["reached"] else f": the cap of {s['steps_used']} steps did not reach it.")
                    + " Completeness: the attributions should add up to the score's change from the baseline.",
                    className="quality-line", id="quality-ig-steps")
    used = f"the map above used {shown.params['n_steps']} steps"
    if shown.delta is not None:        # measured as the adaptive run measures (against 0.1 where it floored)
        diff = abs(float(shown.extras["output_difference"]))
        used += f" and is off by {100 * abs(shown.delta) / (max(diff, 0.1) if e.get('floored') else diff or 1):.2f}%"
    reached = (f"{e['steps_used']} steps bring the error to {100 * e['relative_error']:.2f}%" if e["reached"] else
               f"even {e['steps_used']} steps leave {100 * e['relative_error']:.2f}%")
    floor = (f" The score barely moves from the baseline ({float(shown.extras['output_difference']):.3g}), so the "
             "error is measured against 0.1 of the score." if e.get("floored") else "")
    return note(f"Integrated gradients to {100 * e['tolerance']:g}% accuracy: {reached} ({used}). Completeness: "
                "the attributions should add up to the score's change from the baseline." + floor,
                className="quality-line", id="quality-ig-steps")


@shows_errors
def render_scores(service, view, method: str, params: dict):
    info = service.model_info(view["model"])
    target = target_value(view.get("target"))
    report = service.quality("scores", view["model"], view["sample"], method, target, **params)
    sanity = service.quality("sanity", view["model"], view["sample"], method, report.target, **params)
    title = METHOD_TITLES.get(method, method)
    figs = [graph(curves_figure(report, _what(info, report.target)), id="quality-curves"),
            graph(randomisation_figure(sanity), id="quality-random")]
    out = [html.H4(f"How far to trust this {title} map ({_what(info, report.target)})"),
           html.Div(figs, className="panes two")]
    if info.kind == "image":
        out.append(thumbnails(sanity))
    out += score_lines(report, sanity, info)
    if method == "integrated_gradients":
        out.append(ig_steps_line(service.explain(view["model"], view["sample"], method, target=report.target,
                                                 **params),
                                 service.quality("ig-accuracy", view["model"], view["sample"], method, report.target,
                                                 **params)))
    if any(p.name == "seed" for p in service.methods()[method].params):     # its map depends on a seed
        stab_params = {k: v for k, v in params.items() if k != "seed"}
        out += stability_part(service.quality("stability", view["model"], view["sample"], method, report.target,
                                              **stab_params), info)
    return html.Div(out, className="quality-result")


NOISE = 1e-6       # a relative max-sensitivity below this is float rounding: the map did not change


def score_text(key: str, value: float, spread: float | None = None) -> str:
    """A table cell's number (± its spread): '≈ 0' for a max-sensitivity at rounding level
    (a ReLU network's gradient is flat between kinks, so tiny moves leave it unchanged)."""
    if key == "sensitivity" and abs(value) < NOISE and (spread is None or spread < NOISE):
        return "≈ 0"
    return f"{value:.3g}" + ("" if spread is None else f" ± {spread:.2g}")


def table_head() -> html.Tr:
    """The which-method tables' header (this sample's and the model's)."""
    return html.Tr([html.Th("Method")] + [html.Th(f"{t} {'↓' if b == 'low' else '↑'}") for _, t, b in TABLE_COLUMNS]
                   + [html.Th("Mean rank ↓")])


def leaders(ranks: dict) -> str:
    """The method(s) with the best mean rank: 'IG comes first' or 'IG and SmoothGrad share first place'."""
    best = min(ranks.values())
    names = [METHOD_TITLES.get(m, m) for m, r in ranks.items() if r == best]
    if len(names) == 1:
        return f"{names[0]} comes first"
    return f"{', '.join(names[:-1])} and {names[-1]} share first place"


def draws_words(methods, draws) -> str:
    """Over how many tiny moves max-sensitivity was taken: fewer for maps that each run the
    model on many altered copies (explain_core/quality/table.py)."""
    if not draws:
        return ""
    most = max(draws)
    fewer = [f"{METHOD_TITLES.get(m, m)} {d}" for m, d in zip(methods, draws) if d < most]
    return (f" Max-sensitivity: the largest change over {most} tiny moves of the input"
            + (f" ({', '.join(fewer)}: each of their maps runs the model on many altered copies)" if fewer else "")
            + ".")


@shows_errors
def render_table(service, view):
    info = service.model_info(view["model"])
    table = service.quality("table", view["model"], view["sample"], None, target_value(view.get("target")))
    ranks = table.ranks()
    head = table_head()
    best_rank = min(ranks.values())
    most = max(r.draws for r in table.rows)
    body = []
    for r in sorted(table.rows, key=lambda r: ranks[r.method]):
        cells = [html.Td(METHOD_TITLES.get(r.method, r.method))]
        for key, _, _ in TABLE_COLUMNS:
            text = score_text(key, getattr(r, key)) + (" ⚠" if key == "randomisation" and r.flagged else "")
            text += f" ({r.draws} moves)" if key == "sensitivity" and r.draws < most else ""
            cells.append(html.Td(text, className="best" if table.best.get(key) == r.method else None))
        cells.append(html.Td(f"{ranks[r.method]:.1f}", className="best" if ranks[r.method] == best_rank else None))
        body.append(html.Tr(cells))
    return html.Div(className="quality-table", children=[
        html.H4(f"Which method to trust for this sample? ({_what(info, table.target)})"),
        html.Table([html.Thead(head), html.Tbody(body)], className="method-table"),
        note(f"Best in each column highlighted; ↓ lower is better, ↑ higher. On these scores "
             f"{leaders(ranks)} for this sample. ⚠: the map barely changes when "
             f"the model is random. Each method at its default settings; computed in {table.seconds:.1f} s."
             + draws_words([r.method for r in table.rows], [r.draws for r in table.rows]),
             className="quality-line"),
    ])


def stability_section(method: str, run_id: str, out_id: str):
    """A stochastic method's tab (LIME, KernelSHAP): its stability check, the same sample
    explained with SEEDS seeds."""
    return html.Div(className="quality", children=[
        html.Button(f"How stable is this over {SEEDS} seeds?", id=run_id, className="btn"),
        dcc.Loading(html.Div(id=out_id), delay_show=100, custom_spinner=html.Div(
            f"Running {METHOD_TITLES.get(method, method)} with {SEEDS} seeds…", className="loading-words")),
    ])


def lime_section():
    return stability_section("lime", ids.QUALITY_LIME_RUN, ids.QUALITY_LIME_OUT)


@shows_errors
def render_stability(service, view, method: str, params: dict):
    """The spread over SEEDS seeds of `method`'s map of this sample, at the tab's settings."""
    info = service.model_info(view["model"])
    stab = service.quality("stability", view["model"], view["sample"], method, target_value(view.get("target")),
                           seeds=SEEDS, **params)
    return html.Div(stability_part(stab, info), className="quality-result")


def stability_view(service, view, clicks, tab: str, tab_value, what: str) -> dict:
    """The checked view a stability button asks about (PreventUpdate when its tab is not shown)."""
    if tab_value != tab or not view or not clicks:
        raise PreventUpdate
    return validate.selection(service, view, ("model", "sample", "target"), what=what)


def clear_stale(shown: dict) -> None:
    """Empty the panels in `shown` ({output id: its children}) that show something: their
    results belong to the sample, method or setting the page just left. Called by the map's
    own callback (a side update of its one request, not a callback of its own per click)."""
    for out_id, children in shown.items():
        if children not in (None, "", []):
            set_props(out_id, {"children": []})


def register_lime_callbacks(app, service, tab: str):
    @app.callback(Output(ids.QUALITY_LIME_OUT, "children"), Input(ids.QUALITY_LIME_RUN, "n_clicks"),
                  State(ids.view(tab), "data"), State(ids.LIME_SAMPLES, "value"), State(ids.LIME_KERNEL, "value"),
                  State(ids.LIME_PATCH, "value"), State(ids.TABS, "value"), prevent_initial_call=True)
    def _lime(clicks, view, n_samples, kernel_width, patch, tab_value):   # cleared by LIME's map (clear_stale)
        view = stability_view(service, view, clicks, tab, tab_value, "LIME tab's view")
        params = {k: v for k, v in (("n_samples", n_samples), ("kernel_width", kernel_width), ("patch", patch))
                  if v not in (None, "")}      # the numbers: checked by the engine (named)
        if service.model_info(view["model"]).kind != "image":
            params.pop("patch", None)
        return render_stability(service, view, "lime", params)


def register_callbacks(app, service, tab: str, methods: tuple):
    param_ids = {"type": ids.PARAM, "slot": "a", "method": ALL, "name": ALL}

    # A new sample, method or setting makes the old scores stale: the map's own callback
    # clears them (clear_stale), so a sample click costs no extra round trip for this panel.
    @app.callback(Output(ids.QUALITY_OUT, "children"), Input(ids.QUALITY_RUN, "n_clicks"),
                  State(ids.view(tab), "data"), State(ids.METHOD_A, "value"), State(param_ids, "value"),
                  State(param_ids, "id"), State(ids.TABS, "value"), prevent_initial_call=True)
    def _scores(clicks, view, method, values, pids, tab_value):
        if tab_value != tab or not view or not clicks:
            raise PreventUpdate
        view = validate.selection(service, view, ("model", "sample", "target"), what="quality panel's view")
        method = validate.choice(method, methods, "method")
        pids, values = validate.param_controls(pids, values, "map's")
        params = collect_params(service.methods()[method], pids, values)
        return render_scores(service, view, method, params)

    @app.callback(Output(ids.QUALITY_TABLE_OUT, "children"), Input(ids.QUALITY_TABLE_RUN, "n_clicks"),
                  State(ids.view(tab), "data"), State(ids.TABS, "value"), prevent_initial_call=True)
    def _table(clicks, view, tab_value):
        if tab_value != tab or not view or not clicks:
            raise PreventUpdate
        view = validate.selection(service, view, ("model", "sample", "target"), what="quality panel's view")
        return render_table(service, view)
