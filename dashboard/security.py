"""HTTP limits, security headers, the server banner and the optional login, in one place.

`install(app)` (called by create_app) reads these environment variables:

    GLIMPSE_MAX_UPLOAD_MB   largest uploaded file, MB (default 20); a request larger than
                            that file base64-encoded plus 1 MB is refused with 413 before
                            its body is read (Flask MAX_CONTENT_LENGTH)
    GLIMPSE_HTTPS           1: redirect http to https, HSTS, Secure cookies (default off:
                            deployments terminate TLS at a proxy)
    GLIMPSE_USERS           "alice:secret,bob:pw": basic-auth login (dashboard/login.py)
    GLIMPSE_USERS_FILE      one user:password (or werkzeug password hash) a line
    GLIMPSE_OIDC_ISSUER     OpenID Connect login (+ GLIMPSE_OIDC_CLIENT_ID,
                            GLIMPSE_OIDC_CLIENT_SECRET, GLIMPSE_SECRET_KEY)
    GLIMPSE_UPLOADERS       "alice,bob": only they may add models (default: anyone signed in)

Every response carries a Content-Security-Policy that Dash works with, X-Frame-Options,
X-Content-Type-Options and Referrer-Policy (Flask-Talisman).
"""
from __future__ import annotations

import inspect
import ipaddress
import logging
import math
import os
import tempfile
from dataclasses import dataclass

import flask
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import WSGIRequestHandler

from . import login as login_module

log = logging.getLogger("glimpse.security")
BANNER = "glimpse"                       # the Server header, instead of a product and version
PUBLIC_PATHS = frozenset({"/_glimpse/health"})
USER_ENVIRON = "HTTP_X_GLIMPSE_USER"     # the verified user; Dash copies it into background jobs
TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SecuritySettings:
    max_upload_mb: float = 20.0
    https: bool = False
    users: dict | None = None
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    secret_key: str | None = None
    uploaders: frozenset | None = None

    @classmethod
    def from_env(cls, env=None) -> "SecuritySettings":
        env = os.environ if env is None else env
        if env.get("GLIMPSE_OIDC_ISSUER") and not env.get("GLIMPSE_SECRET_KEY"):
            raise ValueError("GLIMPSE_OIDC_ISSUER needs GLIMPSE_SECRET_KEY (the same in every worker)")
        return cls(max_upload_mb=upload_mb(env), https=env.get("GLIMPSE_HTTPS", "").lower() in TRUE,
                   users=login_module.read_users(env) or None, oidc_issuer=env.get("GLIMPSE_OIDC_ISSUER") or None,
                   oidc_client_id=env.get("GLIMPSE_OIDC_CLIENT_ID"),
                   oidc_client_secret=env.get("GLIMPSE_OIDC_CLIENT_SECRET"),
                   secret_key=env.get("GLIMPSE_SECRET_KEY") or None, uploaders=uploaders(env))

    @property
    def login_on(self) -> bool:
        return bool(self.users or self.oidc_issuer)


def upload_mb(env) -> float:
    raw = env.get("GLIMPSE_MAX_UPLOAD_MB", "20")
    try:
        mb = float(raw)
    except ValueError:
        mb = math.nan
    if not (math.isfinite(mb) and mb > 0):
        raise ValueError(f"GLIMPSE_MAX_UPLOAD_MB={raw!r} is not a positive number of megabytes")
    return mb


def uploaders(env) -> frozenset | None:
    raw = env.get("GLIMPSE_UPLOADERS")
    return None if raw is None else frozenset(u.strip() for u in raw.split(",") if u.strip())


def max_upload_bytes(env=None) -> int:
    """The largest file a user may upload (for dcc.Upload's max_size)."""
    return int(upload_mb(os.environ if env is None else env) * 2**20)


def request_limit(file_bytes: int) -> int:
    """A callback request carries the file base64-encoded (4/3) in JSON, plus 1 MB for the rest."""
    return math.ceil(file_bytes / 3) * 4 + 2**20


def too_large_message(settings: SecuritySettings) -> str:
    return f"The file is larger than the {settings.max_upload_mb:g} MB limit (GLIMPSE_MAX_UPLOAD_MB)."


# ------------------------------------------------------------------ who may do what
def current_user() -> str | None:
    """The signed-in user of this request or of the request that started this background job."""
    if flask.has_request_context():
        return flask.g.get("glimpse_user")
    try:
        import dash
        headers = dash.callback_context.headers or {}
    except Exception:  # noqa: BLE001 - not inside a callback
        return None
    return next((v for k, v in headers.items() if k.lower() == "x-glimpse-user"), None) or None


def may_upload(user: str | None, env=None) -> bool:
    allowed = uploaders(os.environ if env is None else env)
    return allowed is None or (user is not None and user in allowed)


def upload_refusal(env=None) -> str | None:
    """The message to show instead of adding a model, or None when the current user may."""
    user = current_user()
    if may_upload(user, env):
        return None
    who = f"{user} is" if user else "you are not signed in, so you are"
    return f"Adding models is limited to named users (GLIMPSE_UPLOADERS); {who} not one of them."


# ------------------------------------------------------------------ the request gate
def _spool_chunked_body(environ, limit: int) -> None:
    """A chunked body (no Content-Length) copied to a temporary file up to the limit, then
    refused or served from there: werkzeug would cut it silently at MAX_CONTENT_LENGTH, and
    holding it in memory would let a client grow a worker by the limit at no cost."""
    stream, spool, size = environ["wsgi.input"], tempfile.SpooledTemporaryFile(max_size=2**20), 0
    while size <= limit:
        piece = stream.read(min(2**16, limit + 1 - size))
        if not piece:
            break
        spool.write(piece)
        size += len(piece)
    if size > limit:
        spool.close()
        raise RequestEntityTooLarge()
    spool.seek(0)
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = spool, str(size)
    environ.pop("HTTP_TRANSFER_ENCODING", None)

    @flask.after_this_request
    def _close(response):
        response.call_on_close(spool.close)
        return response


def _gate(login, limit: int):
    def gate():
        req = flask.request
        req.environ.pop(USER_ENVIRON, None)      # only this gate may say who the user is
        if (req.content_length or 0) > limit:
            raise RequestEntityTooLarge()
        user = None
        if login is not None and req.path not in PUBLIC_PATHS:
            allowed, user = login.check()
            if not allowed:
                return login.challenge()
        if user:
            flask.g.glimpse_user = req.environ[USER_ENVIRON] = user
        if "chunked" in req.environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            _spool_chunked_body(req.environ, limit)
        return None
    return gate


# ------------------------------------------------------------------ headers
def content_security_policy(app) -> dict:
    """Dash's inline renderer script and inline clientside callbacks by hash; styles inline
    (plotly and the components set them); figures' images as data: and blob: URLs."""
    return {"default-src": "'self'", "script-src": ["'self'", *app.csp_hashes()],
            "style-src": ["'self'", "'unsafe-inline'"], "img-src": ["'self'", "data:", "blob:"],
            "font-src": ["'self'", "data:"], "connect-src": "'self'", "object-src": "'none'",
            "base-uri": "'self'", "form-action": "'self'", "frame-ancestors": "'none'"}


def _headers(app, settings: SecuritySettings):
    from flask_talisman import Talisman

    server = app.server
    talisman = Talisman(server, force_https=settings.https, strict_transport_security=settings.https,
                        session_cookie_secure=settings.https, content_security_policy=content_security_policy(app),
                        frame_options="DENY", referrer_policy="no-referrer", x_content_type_options=True)
    for rule in server.url_map.iter_rules():       # load balancers probe over plain http
        if rule.rule in PUBLIC_PATHS:
            server.view_functions[rule.endpoint].talisman_view_options = {"force_https": False}
    return talisman


def _no_version_check(app) -> None:
    """Dash's dev tools (debug) ask dash-version.plotly.com for updates from the page,
    telling it the versions in use; the CSP blocks that, so it is not asked."""
    enable = app.enable_dev_tools
    signature = inspect.signature(enable)

    def enable_dev_tools(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        if bound.arguments.get("dev_tools_disable_version_check") is None:
            bound.arguments["dev_tools_disable_version_check"] = True
        return enable(*bound.args, **bound.kwargs)
    app.enable_dev_tools = enable_dev_tools


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's server (python app.py) without 'Server: Werkzeug/… Python/…'."""

    def version_string(self) -> str:
        return BANNER


# ------------------------------------------------------------------ binding
def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def warn_if_exposed(addresses, settings: SecuritySettings | None = None) -> bool:
    """Log a loud warning when a server without login listens beyond this machine.
    addresses: (host, port) pairs; a unix socket path (a str) is local."""
    settings = settings or SecuritySettings.from_env()
    exposed = [a for a in addresses if isinstance(a, tuple) and not is_loopback(str(a[0]))]
    if exposed and not settings.login_on:
        where = ", ".join(f"{h}:{p}" for h, p in exposed)
        log.warning("!!! Glimpse listens on %s WITHOUT LOGIN: anyone who can reach it sees every model and can "
                    "upload code-bearing model files. Set GLIMPSE_USERS, GLIMPSE_USERS_FILE or GLIMPSE_OIDC_ISSUER, "
                    "or bind 127.0.0.1. !!!", where)
    return bool(exposed) and not settings.login_on


# ------------------------------------------------------------------ install
def install(app, settings_or_env=None) -> SecuritySettings:
    """Limits, headers and login for `app` (a dash.Dash). Call after every callback is
    registered: the CSP lists the inline clientside callbacks' hashes."""
    settings = settings_or_env if isinstance(settings_or_env, SecuritySettings) \
        else SecuritySettings.from_env(settings_or_env)
    server = app.server
    limit = request_limit(int(settings.max_upload_mb * 2**20))
    server.config["MAX_CONTENT_LENGTH"] = limit
    login = login_module.build(app, settings)
    message = too_large_message(settings)
    server.register_error_handler(413, lambda e: flask.Response(message + "\n", 413, mimetype="text/plain"))
    talisman = _headers(app, settings)
    hooks = server.before_request_funcs.setdefault(None, [])
    hooks.remove(talisman._force_https)       # to https first, then the password, then the rest
    hooks[:0] = [talisman._force_https, _gate(login, limit)]
    _no_version_check(app)
    if settings.uploaders is not None and not settings.login_on:
        log.warning("GLIMPSE_UPLOADERS is set but login is off: nobody can add models.")
    app.glimpse_login = login
    return settings
