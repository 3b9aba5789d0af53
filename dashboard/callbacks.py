"""Callbacks of the page shell: start-up progress, the selection, the URL, the header,
the sample browser and the selected-sample panel. Each is a thin wrapper around a plain
function of (service, inputs...) so tests can call the logic without a browser."""
from __future__ import annotations

from dash import ALL, ClientsideFunction, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from explain_core.errors import GlimpseError

from . import heads, ids, validate
from .components import alert, bar_style, note, redraw
from .sample_info import model_card, model_options, proba_head, sample_panel, target_options
from .samples import Filters, browse, selected_row_style, selection_ring
from .selection import after_click, from_link

HIDDEN, SHOWN = {"display": "none"}, {}


# ------------------------------------------------------------------------ plain functions
def startup_view(status: dict, was_ready: bool):
    """(bar style, text, ready, interval disabled, start-up panel style, main style, header controls style)."""
    if status.get("error"):
        return bar_style(status.get("fraction", 0)), alert(status["error"]), False, True, SHOWN, HIDDEN, HIDDEN
    if status.get("ready"):
        return bar_style(1), "Ready", (no_update if was_ready else True), True, HIDDEN, SHOWN, SHOWN
    return (bar_style(status.get("fraction", 0)), status.get("message", ""), no_update, False, SHOWN, HIDDEN,
            HIDDEN)


def select(service, trigger, value, state, applied, search, filters: Filters, sort_by=None, flags=()):
    """(state, applied, tab, method, compare, alert, filter flags) after a trigger; no_update
    where unchanged.

    Until the deep link has been applied (once, when the models are ready) it decides
    everything, and a linked training sample turns 'held-out only' off so the browser
    shows it; afterwards the model picker, prev/next and uploads move the selection
    (thumbnail and table clicks are handled in the page: assets/clientside.js `pick`)."""
    keep = no_update
    if not applied or not state:
        sel = from_link(service, search)
        flags = list(flags or [])
        shown = service.sample(sel.state["model"], sel.state["sample"]).is_test or ids.HELD_OUT not in flags
        new_flags = keep if shown else [f for f in flags if f != ids.HELD_OUT]
        return (sel.state, True, sel.tab or keep, sel.method or keep, sel.compare or keep, sel.message, new_flags)
    try:
        new = after_click(service, trigger, value, state, filters, sort_by)
    except GlimpseError as e:
        return keep, keep, keep, keep, keep, alert(str(e)), keep
    if new is None:
        return (keep,) * 7
    return new, keep, keep, keep, keep, None, keep


def follow_model(old_state, new_state, trigger) -> tuple:
    """(model picker value, table active cell, model store) after a selection change: the
    picker shows a model chosen elsewhere (a link, an upload), a new model's table starts
    with no active cell, and the model store (which the model's pickers and card follow)
    changes only with the model. The selection callback writes them itself: a second
    callback writing them from the selection would close a loop through its inputs."""
    if not isinstance(new_state, dict) or (old_state and new_state["model"] == old_state["model"]):
        return no_update, no_update, no_update
    return (no_update if trigger == ids.MODEL_SELECT else new_state["model"]), None, new_state["model"]


def browser_outputs(service, thumbs, state, filters: Filters, sort_by, page, trigger):
    """(grid, table rows, table columns, row styles, page, page label, count, grid style, table style,
    what is shown, the table's page_current, its page_count, the image pager's style).
    `trigger` FOLLOW (the selection left the listed page) shows the page holding the
    selection; PAGE goes to `page` (a page typed in, the table's own pager); a filter or sort
    starts at the top of the new list."""
    model_id, sample_id = state["model"], state["sample"]
    follow = True
    if trigger in (ids.PAGE_PREV, ids.PAGE_NEXT):
        page = (page or 0) + (-1 if trigger == ids.PAGE_PREV else 1)
        follow = False
    elif trigger == ids.PAGE:
        follow = False
    elif trigger in (ids.FILTER_TRUE, ids.FILTER_PRED, ids.FILTER_FLAGS, ids.SAMPLE_TABLE):
        page, follow = 0, False    # a new list starts at its top
    view = browse(service, thumbs, model_id, sample_id, filters, page, sort_by, follow_selection=follow)
    info = service.model_info(model_id)
    image = info.kind == "image"
    grid = view.grid if view.count else [note("No sample matches these filters."), selection_ring()]
    shown = {"model": model_id, "kind": "image" if image else "tabular", "ids": list(view.page_ids)}
    return (grid if image else [selection_ring()], view.rows, view.columns,
            selected_row_style(sample_id, heads.regression(info)), view.page,
            f"page {view.page + 1:,} of {view.n_pages:,}", listed_text(view, info, sample_id),
            SHOWN if image else HIDDEN, HIDDEN if image else SHOWN, shown,
            view.page, view.n_pages, SHOWN if image else HIDDEN)


def listed_text(view, info, sample_id) -> list | str:
    """'1,000 of 5,000 listed', and when the filters leave the selected sample out, that it is
    still the one shown (no list item is ringed or highlighted then)."""
    count = f"{view.count:,} of {info.n_samples:,} listed"
    if not view.hides_selection:
        return count
    return [count, html.Span(f" · the selected sample #{sample_id} is not among them (the filters hide it)",
                             className="hidden-selection", id=ids.HIDDEN_SELECTION)]


def page_request(props: set, triggered_id, page, page_current, jump):
    """(trigger, page) of the browser callback: which of its inputs fired (props: the
    prop ids that did; else triggered_id) and the page it asks for, checked. A page typed
    in counts from 1."""
    if f"{ids.FOLLOW}.data" in props:          # a new selection wins: show it
        return ids.FOLLOW, page
    if f"{ids.SAMPLE_TABLE}.page_current" in props:
        return ids.PAGE, validate.page(page_current, "The table's page", default=0)
    if f"{ids.PAGE_JUMP}.value" in props:
        if jump is None:                       # the box emptied: nothing to go to
            raise PreventUpdate
        return ids.PAGE, validate.page(jump, "The page to go to", first=1)
    return triggered_id, page


def outputs_running(info) -> bool:
    """Whether the model still runs over its samples in the background (and has not failed)."""
    return getattr(info, "outputs_done", None) is not None and not info.outputs_error


def outputs_progress(service, model_id: str) -> tuple:
    """(model card, poll disabled) while a large data set's predictions come in: the card
    says how far they are, and once they are in (or failed) shows the accuracy and the
    poll stops."""
    info = service.model_info(model_id)
    return model_card(info), not outputs_running(info)


def class_filter_options(info) -> list[dict]:
    return [] if heads.regression(info) else [{"label": name, "value": k} for k, name in enumerate(info.class_names)]


def head_controls(info) -> tuple:
    """What follows a model's head: (target picker disabled, the note beside it, class filter
    style (hidden for a regression), the filter flags' options, the line over the sample chart)."""
    regression = heads.regression(info)
    flags = [{"label": "largest errors first" if regression else "misclassified only", "value": ids.MISCLASSIFIED},
             {"label": "held-out only", "value": ids.HELD_OUT}]
    return regression, heads.target_note(info), HIDDEN if regression else SHOWN, flags, proba_head(info)


# -------------------------------------------------------------------------- registration
def clientside(name: str) -> ClientsideFunction:
    """A function of assets/clientside.js."""
    return ClientsideFunction(namespace="glimpse", function_name=name)


def register_callbacks(app, service, startup, thumbs):
    @app.callback(Output(ids.STARTUP_BAR, "style"), Output(ids.STARTUP_TEXT, "children"),
                  Output(ids.READY, "data"), Output(ids.STARTUP_INTERVAL, "disabled"),
                  Output(ids.STARTUP, "style"), Output(ids.MAIN, "style"), Output(ids.HEADER_CONTROLS, "style"),
                  Input(ids.STARTUP_INTERVAL, "n_intervals"), State(ids.READY, "data"))
    def _startup(_n, was_ready):
        return startup_view(startup.status(), bool(was_ready))

    @app.callback(Output(ids.SELECT, "data"), Output(ids.URL_APPLIED, "data"), Output(ids.TABS, "value"),
                  Output(ids.METHOD_A, "value", allow_duplicate=True),
                  Output(ids.METHOD_B, "value", allow_duplicate=True),
                  Output(ids.SELECTION_ALERT, "children"), Output(ids.FILTER_FLAGS, "value"),
                  Output(ids.MODEL_SELECT, "value"), Output(ids.SAMPLE_TABLE, "active_cell"),
                  Output(ids.MODEL, "data"), Output(ids.MODEL_SELECT, "options"),
                  Input(ids.READY, "data"), Input(ids.MODEL_SELECT, "value"),
                  Input(ids.SAMPLE_PREV, "n_clicks"), Input(ids.SAMPLE_NEXT, "n_clicks"),
                  Input(ids.CSV_ADDED, "data"), Input(ids.TS_ADDED, "data"),
                  State(ids.STATE, "data"), State(ids.URL_APPLIED, "data"), State(ids.URL, "search"),
                  State(ids.FILTER_TRUE, "value"), State(ids.FILTER_PRED, "value"), State(ids.FILTER_FLAGS, "value"),
                  State(ids.SAMPLE_TABLE, "sort_by"), prevent_initial_call=True)
    def _select(ready, *rest):
        # The link is read once, when the models are ready (URL.search is a State: `sync`
        # writes it from the selection; as an Input it would close a loop). The selection
        # goes through SELECT to `pick`, the one writer of STATE.
        state, applied, search, true_c, pred_c, flags, sort_by = rest[-7:]
        if not ready or search is None:
            raise PreventUpdate
        search = validate.text(search, "The page address (?model=…&sample=…)")
        state = validate.selection(service, state) if state else state
        flags, sort_by = validate.flags(flags), validate.sort_by(sort_by)
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        out = select(service, ctx.triggered_id, value, state, applied, search,
                     Filters.from_inputs(true_c, pred_c, flags), sort_by, flags)
        if all(o is no_update for o in out):
            raise PreventUpdate
        # the picker's options travel with its value: a dcc.Dropdown clears a value that its
        # options (still empty at start) do not hold
        options = model_options(service) if ctx.triggered_id in (ids.READY, ids.CSV_ADDED, ids.TS_ADDED) \
            else no_update
        return out + follow_model(state, out[0], ctx.triggered_id) + (options,)

    views = [ids.view(t) for t in ids.TAB_NAMES]
    # The selection: a click in the page or one the server made (assets/clientside.js `pick`).
    # It also writes the address and the ring (or the browser's page) for the new selection.
    app.clientside_callback(clientside("pick"), Output(ids.STATE, "data"),
                            *[Output(v, "data", allow_duplicate=True) for v in views],
                            Output(ids.URL, "search", allow_duplicate=True), Output(ids.FOLLOW, "data"),
                            Output(ids.THUMB_RING, "style"),
                            Input({"type": ids.THUMB, "index": ALL}, "n_clicks_timestamp"),
                            Input(ids.SAMPLE_TABLE, "active_cell"), Input(ids.SELECT, "data"),
                            State(ids.STATE, "data"), State(ids.TABS, "value"), State(ids.TARGET, "value"),
                            State(ids.TAB_KEYS, "data"), State(ids.METHOD_A, "value"), State(ids.METHOD_B, "value"),
                            State(ids.LINK_EXTRAS, "data"), State(ids.URL, "search"), State(ids.URL_APPLIED, "data"),
                            State(ids.BROWSER_SHOWN, "data"), *[State(v, "data") for v in views],
                            prevent_initial_call=True)
    # A tab switch or another target: the panel shown, and that tab's view if it changed.
    app.clientside_callback(clientside("route"), *[Output(ids.panel(t), "style") for t in ids.TAB_NAMES],
                            *[Output(v, "data") for v in views],
                            Input(ids.TABS, "value"), Input(ids.TARGET, "value"), State(ids.STATE, "data"),
                            State(ids.TAB_KEYS, "data"), *[State(v, "data") for v in views],
                            *[State(ids.panel(t), "style") for t in ids.TAB_NAMES])
    # The level switch and the tab follow each other (a link to a model view shows that level).
    app.clientside_callback(clientside("level"), Output(ids.LEVEL, "value"),
                            Output(ids.TABS, "value", allow_duplicate=True), Output(ids.TABS, "parent_className"),
                            Output(ids.LEVEL_TABS, "data"), Output(ids.TARGET_NOTE, "style"),
                            Input(ids.LEVEL, "value"), Input(ids.TABS, "value"), State(ids.TAB_LEVELS, "data"),
                            State(ids.LEVEL_TABS, "data"), prevent_initial_call=True)
    # The address after a tab, method or control change (a new selection's: `pick`).
    app.clientside_callback(clientside("sync"), Output(ids.URL, "search"),
                            Input(ids.TABS, "value"), Input(ids.METHOD_A, "value"),
                            Input(ids.METHOD_B, "value"), Input(ids.LINK_EXTRAS, "data"), State(ids.STATE, "data"),
                            State(ids.URL, "search"), State(ids.URL_APPLIED, "data"))

    @app.callback(Output(ids.MODEL_CARD, "children"),
                  Output(ids.TARGET, "options"), Output(ids.TARGET, "value"),
                  Output(ids.FILTER_TRUE, "options"), Output(ids.FILTER_TRUE, "value"),
                  Output(ids.FILTER_PRED, "options"), Output(ids.FILTER_PRED, "value"),
                  Output(ids.SAMPLE_TABLE, "sort_by"),
                  Output(ids.TARGET, "disabled"), Output(ids.TARGET_NOTE, "children"),
                  Output(ids.FILTER_TRUE, "style"), Output(ids.FILTER_PRED, "style"),
                  Output(ids.FILTER_FLAGS, "options"), Output(ids.PROBA_HEAD, "children"),
                  Output(ids.OUTPUTS_POLL, "disabled"),
                  Input(ids.MODEL, "data"), State(ids.FILTER_TRUE, "value"), State(ids.FILTER_PRED, "value"),
                  State(ids.SAMPLE_TABLE, "sort_by"))
    def _on_model(model_id, true_c, pred_c, sort_by):
        if not model_id:
            raise PreventUpdate
        info = service.model_info(validate.model_id(model_id))
        classes = class_filter_options(info)

        def clear(value, empty):   # writing an unchanged value would still re-page the browser
            return no_update if value in (None, [], empty) else empty
        disabled, note_, filter_style, flags, head = head_controls(info)
        return (model_card(info), target_options(info), ids.PREDICTED,
                classes, clear(true_c, None), classes, clear(pred_c, None), clear(sort_by, []),
                disabled, note_, filter_style, filter_style, flags, head, not outputs_running(info))

    @app.callback(Output(ids.MODEL_CARD, "children", allow_duplicate=True),
                  Output(ids.OUTPUTS_POLL, "disabled", allow_duplicate=True),
                  Input(ids.OUTPUTS_POLL, "n_intervals"), State(ids.MODEL, "data"), prevent_initial_call=True)
    def _outputs_progress(_n, model_id):
        return outputs_progress(service, validate.model_id(model_id))

    @app.callback(Output(ids.THUMB_GRID, "children"), Output(ids.SAMPLE_TABLE, "data"),
                  Output(ids.SAMPLE_TABLE, "columns"), Output(ids.SAMPLE_TABLE, "style_data_conditional"),
                  Output(ids.PAGE, "data"), Output(ids.PAGE_LABEL, "children"), Output(ids.BROWSER_COUNT, "children"),
                  Output(ids.THUMB_GRID, "style"), Output(ids.TABLE_WRAP, "style"), Output(ids.BROWSER_SHOWN, "data"),
                  Output(ids.SAMPLE_TABLE, "page_current"), Output(ids.SAMPLE_TABLE, "page_count"),
                  Output(ids.PAGER, "style"), Output(ids.PAGE_JUMP, "value"),
                  Input(ids.FOLLOW, "data"), Input(ids.FILTER_TRUE, "value"), Input(ids.FILTER_PRED, "value"),
                  Input(ids.FILTER_FLAGS, "value"), Input(ids.SAMPLE_TABLE, "sort_by"),
                  Input(ids.PAGE_PREV, "n_clicks"), Input(ids.PAGE_NEXT, "n_clicks"),
                  Input(ids.SAMPLE_TABLE, "page_current"), Input(ids.PAGE_JUMP, "value"),
                  State(ids.STATE, "data"), State(ids.PAGE, "data"))
    def _browser(_follow, true_c, pred_c, flags, sort_by, _prev, _next, page_current, jump, state, page):
        if not state:
            raise PreventUpdate
        state, sort_by = validate.selection(service, state), validate.sort_by(sort_by)
        page = validate.page(page, default=0)
        trigger, page = page_request({t["prop_id"] for t in ctx.triggered}, ctx.triggered_id, page, page_current,
                                     jump)
        filters = Filters.from_inputs(true_c, pred_c, flags, service.model_info(state["model"]))
        # the box is emptied after a jump: the label says where the browser is
        return browser_outputs(service, thumbs, state, filters, sort_by, page, trigger) + (None,)

    @app.callback(Output(ids.SAMPLE_INFO, "children"), Output(ids.SAMPLE_DRAWN, "data"),
                  Output(ids.PROBA_GRAPH, "figure"), Input(ids.STATE, "data"), State(ids.SAMPLE_DRAWN, "data"))
    def _sample(state, drawn):
        if not state:
            raise PreventUpdate
        try:
            state = validate.selection(service, state)
            children, fig = sample_panel(service, thumbs, state["model"], state["sample"])
        except GlimpseError as e:
            return alert(str(e)), None, no_update
        # the next digit's texts and image go into the panel shown (no new components)
        return redraw(children, drawn) + (fig,)   # a forged skeleton only fails to match: all is sent
