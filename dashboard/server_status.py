"""What the server wants the user to know about itself: the shared cache is down, or the
user's long computation is waiting behind others. A small notice in the header, polled
every few seconds; also the request's client key for the service's per-client limit on
expensive methods (explain_core/fair_compute.py), and /_glimpse/status for operators.

The client key is the signed-in user's name when login is on; otherwise a random
cookie set on the first response plus the remote address, so the per-client limit holds
per browser even behind one proxy address.
"""
from __future__ import annotations

import os
import secrets

import flask
from dash import Input, Output, dcc, html

from explain_core.fair_compute import reset_client, set_client

from . import ids, security

COOKIE = "glimpse_client"
POLL_MS = 5000
HIDDEN, SHOWN = {"display": "none"}, {}


def notice():
    """The header's notice (hidden while there is nothing to say) and its poll."""
    return html.Div([
        html.Div(id=ids.SERVER_NOTICE, className="server-notice", style=HIDDEN, role="status"),
        dcc.Interval(id=ids.SERVER_POLL, interval=POLL_MS),
    ], className="server-status")


def client_key(cookie: str | None, remote_addr: str | None, user: str | None = None) -> str:
    return f"user:{user}" if user else f"{cookie or '-'}@{remote_addr or '-'}"


def messages(cache: dict, compute: dict) -> list[str]:
    """The notice's lines from service.cache_status() and service.compute_status(client)."""
    out = []
    if cache.get("degraded"):
        out.append(cache["message"])
    if compute.get("position"):
        ahead = compute["running"] + compute["position"] - 1
        out.append(f"Your long computation is queued behind {ahead} request{'s' if ahead != 1 else ''}; "
                   "it starts when they finish.")
    elif compute.get("mine"):
        out.append(f"Your {compute['mine']} computation is running.")
    return out


def register(app, service, startup=None) -> None:
    """startup (dashboard/startup.py): its state in /_glimpse/status too."""
    server = app.server

    @server.before_request
    def _name_client():
        # registered after security.install: its login check has named the user by now
        flask.g.glimpse_client_token = set_client(client_key(flask.request.cookies.get(COOKIE),
                                                             flask.request.remote_addr, security.current_user()))

    @server.teardown_request
    def _forget_client(_exc=None):
        token = flask.g.pop("glimpse_client_token", None)
        if token is not None:
            reset_client(token)

    @server.after_request
    def _give_cookie(response):
        if COOKIE not in flask.request.cookies:
            response.set_cookie(COOKIE, secrets.token_urlsafe(16), httponly=True, samesite="Lax",
                                secure=flask.request.is_secure)
        return response

    @server.route("/_glimpse/status")
    def _status():   # for operators and the deployment tests: this worker's view
        return {"pid": os.getpid(), "cache": service.cache_status(), "compute": service.compute_status(),
                "stats": dict(service.stats), "startup": startup.status() if startup is not None else None}

    @app.callback(Output(ids.SERVER_NOTICE, "children"), Output(ids.SERVER_NOTICE, "style"),
                  Input(ids.SERVER_POLL, "n_intervals"))
    def _notice(_n):
        lines = messages(service.cache_status(), service.compute_status())
        return [html.P(line) for line in lines], (SHOWN if lines else HIDDEN)
