"""Model view: errors and bias. Where the model fails on held-out data (confusion matrix,
per-class metrics, the most confident mistakes), how much better it fits its training data,
how well its confidence matches its accuracy, and (tables) which slices of a feature it
gets wrong most. A click on a confusion cell lists those samples in the browser; a click
on a mistake opens it in the per-sample tabs."""
from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from explain_core.errors import GlimpseError, ParameterError
from explain_core.methods.base import shown

from .. import heads, ids, validate
from ..components import alert, graph, redraw, shows_errors
from ..figures.common import class_name
from ..figures.errors import confusion_figure, fit_figure, reliability_figure, residual_figure, slices_figure
from . import panel, visible_view
from .errors_parts import headline, metrics_table, mistakes_block

TAB = ids.TAB_ERRORS
LABEL = "Errors & bias"
LEVEL = "model"
VIEW = ("model",)
COUNTS, SHARE = "counts", "share"
OPEN_TAB = ids.TAB_GRADIENTS          # where a mistake opens when no per-sample tab was shown yet
HIDDEN = {"display": "none"}
CAPTION = ("Where the model goes wrong on data it never saw, how sure it is when it does, and how much better it "
           "fits its training data.")


def _caption(text: str):
    return html.P(text, className="figure-caption")


def _section(title: str, *children, className: str = ""):
    return html.Section([html.H4(title), *children], className=f"errors-section {className}".strip())


@shows_errors
def render(service, model_id: str, normalise: str = COUNTS, feature=None):
    """The view's components for one model (feature: a column number for the slice chart,
    None for the one whose slices differ most)."""
    info = service.model_info(model_id)
    params = {} if info.kind != "tabular" or feature is None else {"feature": feature}
    result = service.model_view(model_id, "errors", **params)
    if result.task == "regression":
        return _regression(result)
    out = [headline(result),
           html.Div(className="errors-grid", children=[
               _section("Confusion matrix (held-out)",
                        graph(confusion_figure(result, normalise == SHARE), id={"type": ids.ERR_CONFUSION, "index": 0}),
                        _caption("Each row is a true class, each column the class the model said. The diagonal "
                                 "holds the right answers; bright cells off it are the confusions. Click a cell to "
                                 "list its samples in the browser on the left.")),
               html.Div([_section("Per class", metrics_table(result),
                                  _caption("Precision: of the samples the model called this class, the share that "
                                           "are. Recall: of the samples of this class, the share it found. F1 is "
                                           "their harmonic mean; the weakest class is marked.")),
                         *_slices(result)]),
           ]),
           html.Div(className="errors-grid", children=[
               _fit_section(result),
               _section("Calibration", graph(reliability_figure(result), id=ids.ERR_RELIABILITY),
                        _caption("When the model says 90%, is it right 90% of the time? Points below the "
                                 "diagonal: over-confident; above: under-confident. The bars count the samples "
                                 "per confidence bin.")),
           ]),
           html.Section(mistakes_block(result), className="errors-section")]
    return out


def _regression(result):
    return [headline(result),
            _section("Residuals", graph(residual_figure(result), id=ids.ERR_RESIDUALS),
                     _caption("A regression model has no classes to confuse: these plots show how far its "
                              "predictions fall from the true values on held-out data, and whether the errors "
                              "follow a pattern.")),
            html.Div(className="errors-grid", children=[
                _fit_section(result),
                *_slices(result)]),
            html.Section(mistakes_block(result), className="errors-section")]


def _fit_section(result):
    worse = "accuracy much lower" if result.task == "classification" else "error much larger"
    return _section("Training vs held-out", graph(fit_figure(result), id=ids.ERR_FIT),
                    _caption(f"The same model scored on the rows it was trained on and on rows it never saw. A "
                             f"held-out {worse} than training means it learned its training rows rather than "
                             "the task."))


def _slices(result) -> list:
    if result.slices is None:
        return []
    what = "accuracy" if result.task == "classification" else "mean absolute error"
    return [_section("By feature slice", graph(slices_figure(result), id=ids.ERR_SLICES),
                     _caption(f"The held-out rows split into equal-sized bins of one feature, and the model's {what} "
                              "in each. A slice much worse than the rest is a bias worth knowing about; pick "
                              "another feature above."))]


def feature_options(service, model_id: str) -> tuple[list, dict]:
    """The slice feature picker's options and its wrapper's style (shown for tables only)."""
    info = service.model_info(model_id)
    if info.kind != "tabular":
        return [], HIDDEN
    names = service.dataset_for(model_id).feature_names
    return [{"label": str(n), "value": j} for j, n in enumerate(names)], {}


def clicked_cell(click, names) -> tuple[int, int]:
    """(true, predicted) class of a click on the confusion heatmap: its axis labels (the
    class labels the figure shows; Dash leaves a heatmap's customdata out of clickData)."""
    labels = [class_name(names, k) for k in range(len(names))]
    try:
        point = click["points"][0]
        y, x = str(point["y"]), str(point["x"])
    except (TypeError, KeyError, IndexError):
        raise ParameterError(f"A confusion-matrix click must carry its cell, got {shown(click)}") from None
    if y not in labels or x not in labels:
        raise ParameterError(f"The clicked cell ({shown(y)}, {shown(x)}) is not a pair of this model's classes")
    return labels.index(y), labels.index(x)


def filter_request(service, model_id: str, click, flags) -> tuple:
    """(true class, predicted class, filter flags, note) for a click on a confusion cell:
    the browser lists the held-out samples of that (true, predicted) pair."""
    names = service.model_info(model_id).class_names
    true_c, pred_c = clicked_cell(click, names)
    keep = [f for f in validate.flags(flags) if f != ids.MISCLASSIFIED or true_c != pred_c]
    flags = keep + ([ids.HELD_OUT] if ids.HELD_OUT not in keep else [])
    note = (f"The sample browser now lists the held-out samples of true class {class_name(names, true_c)} "
            f"predicted as {class_name(names, pred_c)}. Clear its filters to list every sample again.")
    return true_c, pred_c, flags, note


def open_request(service, model_id: str, sample, shown_tabs) -> tuple[dict, str]:
    """(selection, tab) for a click on a mistake: that sample, in the per-sample tab last shown."""
    info = service.model_info(model_id)
    sample = validate.sample_id(sample, info.n_samples)
    tab = (shown_tabs or {}).get(ids.LEVEL_SAMPLE) if isinstance(shown_tabs, dict) else None
    return {"model": model_id, "sample": sample}, tab if tab in ids.TAB_NAMES and tab != TAB else OPEN_TAB


def layout():
    controls = [
        dcc.RadioItems(id=ids.ERR_NORMALISE, value=COUNTS, inline=True, className="flags errors-toggle",
                       options=[{"label": "counts", "value": COUNTS}, {"label": "share of each true class",
                                                                          "value": SHARE}]),
        html.Label(["Slice by", dcc.Dropdown(id=ids.ERR_FEATURE, clearable=True, searchable=True,
                                             placeholder="auto: the most uneven",
                                             className="errors-feature")],
                   id=ids.ERR_FEATURE_WRAP, className="control", style=HIDDEN),
        html.Div(id=ids.ERR_NOTE, className="errors-note", **{"aria-live": "polite"}),
    ]
    return panel(TAB, "Errors and bias", CAPTION, controls)


def register_callbacks(app, service):
    drawn = [Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data")]
    picker = [Output(ids.ERR_FEATURE, p) for p in ("options", "value")] + [Output(ids.ERR_FEATURE_WRAP, "style")]

    @app.callback(*drawn, *picker, Output(ids.ERR_NOTE, "children"), Output(ids.ERR_NORMALISE, "style"),
                  Input(ids.view(TAB), "data"), Input(ids.ERR_NORMALISE, "value"), Input(ids.ERR_FEATURE, "value"),
                  State(ids.TABS, "value"), State(ids.drawn(TAB), "data"))
    def _render(view, normalise, feature, tab, drawn):
        view = visible_view(service, tab, TAB, view, VIEW)
        normalise = validate.choice(normalise, (COUNTS, SHARE), "The confusion matrix's scale") or COUNTS
        new_model = ctx.triggered_id in (None, ids.view(TAB))
        options, style = feature_options(service, view["model"])
        feature = None if new_model else validate.whole(feature, "The slice feature", 0, max(len(options) - 1, 0))
        children, shape = redraw(render(service, view["model"], normalise, feature), drawn)
        toggle = HIDDEN if heads.regression(service.model_info(view["model"])) else {}
        return (children, shape, options, (None if new_model else no_update), style,
                (None if new_model else no_update), toggle)

    @app.callback(Output(ids.FILTER_TRUE, "value", allow_duplicate=True),
                  Output(ids.FILTER_PRED, "value", allow_duplicate=True),
                  Output(ids.FILTER_FLAGS, "value", allow_duplicate=True),
                  Output(ids.ERR_NOTE, "children", allow_duplicate=True),
                  Input({"type": ids.ERR_CONFUSION, "index": ALL}, "clickData"),
                  State(ids.view(TAB), "data"), State(ids.FILTER_FLAGS, "value"), prevent_initial_call=True)
    def _filter(clicks, view, flags):
        click = next((c for c in clicks or [] if c), None)
        if click is None or not view:
            raise PreventUpdate
        try:
            view = validate.selection(service, view, VIEW, what=f"{TAB} tab's view")
            true_c, pred_c, flags, note = filter_request(service, view["model"], click, flags)
        except GlimpseError as e:
            return no_update, no_update, no_update, alert(str(e))
        return true_c, pred_c, flags, note

    @app.callback(Output(ids.SELECT, "data", allow_duplicate=True), Output(ids.TABS, "value", allow_duplicate=True),
                  Output(ids.ERR_NOTE, "children", allow_duplicate=True),
                  Input({"type": ids.ERR_MISTAKE, "index": ALL}, "n_clicks"),
                  Input({"type": ids.ERR_MISTAKES_TABLE, "index": ALL}, "active_cell"),
                  State(ids.view(TAB), "data"), State(ids.LEVEL_TABS, "data"), prevent_initial_call=True)
    def _open(_clicks, cells, view, shown_tabs):
        trig = ctx.triggered[0] if ctx.triggered else {}
        if not trig.get("value") or not view or not isinstance(ctx.triggered_id, dict):
            raise PreventUpdate                       # components appearing, not a click
        cell = trig["value"]
        sample = cell.get("row_id") if isinstance(cell, dict) else ctx.triggered_id.get("index")
        try:
            view = validate.selection(service, view, VIEW, what=f"{TAB} tab's view")
            selection, tab = open_request(service, view["model"], sample, shown_tabs)
        except GlimpseError as e:
            return no_update, no_update, alert(str(e))
        return selection, tab, None
