"""What the page shows when a callback fails, and what a request that cannot be served
gets instead of a bare 500.

- A callback raising a GlimpseError (a bad value someone sent: the validators in
  dashboard/validate.py name the parameter) shows that message in the page's message
  area; the callback's outputs are left as they were, so nothing loaded is lost.
- Any other exception is a bug: its traceback goes to the log under a short reference,
  and the page says "Something went wrong (ref a1b2c3); the server log has the details".
- A POST to /_dash-update-component that does not fit a callback of the page (forged,
  or from an old page after a deploy) gets a 400 with a plain-text message, before Dash
  reads it.
- Anything else that would be a 500 is answered with a short plain-text message and a
  reference (also in the X-Glimpse-Ref header), never an HTML traceback.

`install(app)` sets these up (create_app calls it). Dash's global `on_error` (dash 4:
`dash.Dash(on_error=...)`, kept in `app._on_error` and read per request) catches
exceptions of the callback function itself; Dash's request parsing before it and its
response checks after it are covered by the two Flask hooks.
"""
from __future__ import annotations

import functools
import logging
import secrets

import flask
from dash import ClientsideFunction, Input, Output, set_props
from werkzeug.exceptions import InternalServerError

from explain_core.errors import GlimpseError

from . import envelope, ids
from .components import alert

log = logging.getLogger("glimpse.errors")
DISPATCH = "_dash-update-component"


def new_ref() -> str:
    """A short id that ties a message in the page to its traceback in the log."""
    return secrets.token_hex(3)


def went_wrong(ref: str) -> str:
    return f"Something went wrong (ref {ref}); the server log has the details."


def on_callback_error(err: Exception):
    """Dash's on_error: the message goes to the page's message area (set_props), the
    callback's outputs stay as they were (None: no_update)."""
    if isinstance(err, GlimpseError):
        log.info("callback refused a request: %s", err)
        set_props(ids.PAGE_MESSAGE, {"children": alert(str(err), "warning")})
        return None
    ref = new_ref()
    log.error("callback failed (ref %s) on %s", ref, _callback_name(), exc_info=err)
    set_props(ids.PAGE_MESSAGE, {"children": alert(went_wrong(ref))})
    return None


def _callback_name() -> str:
    try:
        body = flask.request.get_json(silent=True) or {}
        return str(body.get("output", "?"))[:120]
    except RuntimeError:      # outside a request (a background job)
        return "a background job"


def plain(text: str, status: int, ref: str):
    """A short plain-text answer (assets/server-errors.js shows it in the page as it is),
    the reference also in a header for scripts."""
    return flask.Response(text, status=status, mimetype="text/plain", headers={"X-Glimpse-Ref": ref})


def bad_request(reason: str):
    ref = new_ref()
    log.warning("refused a callback request (ref %s): %s", ref, reason)
    return plain(f"This request does not fit this page (ref {ref}): {reason}. Reload the page.", 400, ref)


def internal_error(e: InternalServerError):
    ref = new_ref()
    original = getattr(e, "original_exception", None) or e
    log.error("request failed (ref %s): %s %s", ref, flask.request.method, flask.request.path, exc_info=original)
    return plain(went_wrong(ref), 500, ref)


def guard_dispatch(app) -> None:
    """Check the shape of every callback request before Dash's dispatch reads it."""
    server = app.server
    for rule in server.url_map.iter_rules():
        if rule.rule.endswith(DISPATCH):
            view = server.view_functions[rule.endpoint]

            @functools.wraps(view)
            def checked(*args, _view=view, **kw):
                reason = envelope.problem(app.callback_map, _json_body())
                return bad_request(reason) if reason else _view(*args, **kw)

            server.view_functions[rule.endpoint] = checked


def _json_body():
    """The request's JSON, or None when it is not JSON (nested too deep for Python's
    parser included: a RecursionError, which Flask's silent get_json lets through)."""
    try:
        return flask.request.get_json(silent=True)
    except RecursionError:
        return None


def install(app) -> None:
    if getattr(app, "_on_error", None) is None:
        app._on_error = on_callback_error
    app.server.register_error_handler(InternalServerError, internal_error)
    guard_dispatch(app)
    # a click on the message puts it away
    app.clientside_callback(ClientsideFunction("glimpse_messages", "dismiss"),   # assets/page-message.js
                            Output(ids.PAGE_MESSAGE, "children"),
                            Input(ids.PAGE_MESSAGE, "n_clicks"), prevent_initial_call=True)

