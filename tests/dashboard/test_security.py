"""dashboard/security.py and dashboard/login.py through Flask's test client: request size
limit, security headers, login (basic and OIDC wiring), the upload guard, bind warnings.

A small Dash app stands in for Glimpse's (no service needed); the deployment tests
(tests/deploy/test_http_security.py) check the same under gunicorn with the real app.
"""
from __future__ import annotations

import base64
import io
import json
import logging
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import dash
import pytest
from dash import Input, Output, dcc, html
from dash._callback_context import context_value
from dash._utils import AttributeDict
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from dashboard import login, security, upload

USERS = {"GLIMPSE_USERS": "alice:secret,bob:pw"}
CALLBACK = {"output": "out.children", "outputs": {"id": "out", "property": "children"},
            "inputs": [{"id": "inp", "property": "value", "value": "x"}], "changedPropIds": ["inp.value"]}


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def make_app(env: dict):
    """A Dash app whose one callback answers who the user is and whether they may upload."""
    app = dash.Dash(__name__)
    app.layout = html.Div([dcc.Input(id="inp"), html.Div(id="out")])

    @app.callback(Output("out", "children"), Input("inp", "value"))
    def _who(_value):
        return f"{security.current_user()}|{security.upload_refusal(env)}"

    @app.server.route("/_glimpse/health")
    def _health():
        return {"status": "ok"}

    security.install(app, env)
    return app


def who(response) -> tuple[str, str]:
    return tuple(json.loads(response.data)["response"]["out"]["children"].split("|"))


# ------------------------------------------------------------------ request size
def test_a_request_over_the_limit_gets_413_with_a_plain_message():
    app = make_app({"GLIMPSE_MAX_UPLOAD_MB": "1"})
    assert app.server.config["MAX_CONTENT_LENGTH"] == security.request_limit(2**20)
    limit = app.server.config["MAX_CONTENT_LENGTH"]
    client = app.server.test_client()
    r = client.post("/_dash-update-component", data=b"x" * (limit + 1), content_type="application/json")
    assert r.status_code == 413
    assert r.mimetype == "text/plain"
    assert r.get_data(as_text=True).strip() == "The file is larger than the 1 MB limit (GLIMPSE_MAX_UPLOAD_MB)."
    assert r.headers["X-Frame-Options"] == "DENY"             # headers on refusals too
    # a 1 MB file base64-encoded inside a callback body still fits
    big = dict(CALLBACK, inputs=[{"id": "inp", "property": "value", "value": "a" * (4 * 2**20 // 3)}])
    r = client.post("/_dash-update-component", json=big)
    assert r.status_code == 200


def test_a_chunked_body_is_limited_too_not_cut_short():
    """werkzeug alone would hand the callback the first MAX_CONTENT_LENGTH bytes of a chunked body."""
    app = make_app({"GLIMPSE_MAX_UPLOAD_MB": "1"})
    limit = app.server.config["MAX_CONTENT_LENGTH"]
    client = app.server.test_client()
    chunked = {"Transfer-Encoding": "chunked", "Content-Type": "application/json"}
    r = client.post("/_dash-update-component", input_stream=io.BytesIO(b"[" * (limit + 1)), headers=chunked)
    assert r.status_code == 413
    body = json.dumps(dict(CALLBACK, inputs=[{"id": "inp", "property": "value", "value": "a" * (limit - 2**16)}]))
    r = client.post("/_dash-update-component", input_stream=io.BytesIO(body.encode()), headers=chunked)
    assert r.status_code == 200 and who(r)[0] == "None"


def test_the_limit_is_the_file_size_base64_encoded_plus_a_megabyte():
    assert security.max_upload_bytes({}) == 20 * 2**20
    assert security.max_upload_bytes({"GLIMPSE_MAX_UPLOAD_MB": "0.5"}) == 2**19
    assert security.request_limit(3 * 2**20) == 4 * 2**20 + 2**20
    for bad in ("0", "-3", "nan", "inf", "twenty"):
        with pytest.raises(ValueError, match="GLIMPSE_MAX_UPLOAD_MB"):
            security.SecuritySettings.from_env({"GLIMPSE_MAX_UPLOAD_MB": bad})


# ------------------------------------------------------------------ headers
def test_every_response_carries_the_security_headers():
    app = make_app({})
    client = app.server.test_client()
    for r in (client.get("/"), client.get("/_dash-layout"), client.get("/nowhere"),
              client.post("/_dash-update-component", json=CALLBACK)):
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "default-src 'self'" in csp
        assert "'unsafe-eval'" not in csp
        for digest in app.csp_hashes():           # Dash's inline renderer script, by hash
            assert digest in csp
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert "Strict-Transport-Security" not in r.headers     # https is opt-in


def test_https_opt_in_redirects_sends_hsts_and_leaves_the_health_check_alone():
    client = make_app({"GLIMPSE_HTTPS": "1"}).server.test_client()
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("https://")
    assert client.get("/_glimpse/health").status_code == 200
    r = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert r.status_code == 200 and "max-age=" in r.headers["Strict-Transport-Security"]
    # with login on, a plain-http request is sent to https before any password is asked for
    client = make_app(dict(USERS, GLIMPSE_HTTPS="1")).server.test_client()
    assert client.get("/").status_code == 302
    assert client.get("/", headers={"X-Forwarded-Proto": "https"}).status_code == 401


def test_the_version_check_of_dashs_dev_tools_is_off():
    app = make_app({})
    app.enable_dev_tools(debug=True, dev_tools_hot_reload=False)
    config = app.server.test_client().get("/").get_data(as_text=True)
    assert '"disable_version_check":true' in config


def test_werkzeugs_server_says_glimpse_not_its_version():
    app = make_app({})
    server = make_server("127.0.0.1", 0, app.server, request_handler=security.QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/_glimpse/health", timeout=10) as r:
            servers = r.headers.get_all("Server")
    finally:
        server.shutdown()
    assert servers == ["glimpse"]


# ------------------------------------------------------------------ basic login
def test_with_login_on_everything_but_health_needs_credentials():
    client = make_app(USERS).server.test_client()
    paths = ["/", "/_dash-layout", "/_dash-dependencies", "/assets/anything.css",
             "/_dash-component-suites/dash/deps/polyfill@7.12.1.min.js"]
    for path in paths:
        r = client.get(path)
        assert r.status_code == 401, path
        assert r.headers["WWW-Authenticate"].startswith("Basic")
    assert client.post("/_dash-update-component", json=CALLBACK).status_code == 401
    assert client.get("/_glimpse/health").status_code == 200
    assert client.get("/", headers=basic("alice", "secret")).status_code == 200
    r = client.post("/_dash-update-component", json=CALLBACK, headers=basic("bob", "pw"))
    assert r.status_code == 200 and who(r)[0] == "bob"


@pytest.mark.parametrize("header", ["Basic !!!notbase64", "Basic " + base64.b64encode(b"no-colon").decode(),
                                    "Basic " + base64.b64encode(b"\xff\xfe:x").decode(), "Bearer abc", "Basic",
                                    "Basic " + base64.b64encode(b"alice:wrong").decode(),
                                    "Basic " + base64.b64encode(b"carol:secret").decode()])
def test_bad_credentials_get_401_never_500(header):
    client = make_app(USERS).server.test_client()
    r = client.post("/_dash-update-component", json=CALLBACK, headers={"Authorization": header})
    assert r.status_code == 401


def test_an_anonymous_forged_callback_body_gets_401_not_500():
    client = make_app(USERS).server.test_client()
    for body in (b"[1, 2]", b"not json", b'{"output": 3}'):
        assert client.post("/_dash-update-component", data=body, content_type="application/json").status_code == 401


def test_users_file_with_plain_passwords_and_werkzeug_hashes(tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("# team\n\ncarol:" + generate_password_hash("s3:cret", "pbkdf2:sha256:1000") + "\n"
                     "dave:plain:with:colons\n", encoding="utf-8")
    app = make_app({"GLIMPSE_USERS_FILE": str(users)})
    client = app.server.test_client()
    assert client.get("/", headers=basic("carol", "s3:cret")).status_code == 200
    assert client.get("/", headers=basic("carol", "wrong")).status_code == 401
    assert client.get("/", headers=basic("dave", "plain:with:colons")).status_code == 200
    assert client.get("/", headers=basic("dave", "plain")).status_code == 401
    assert app.glimpse_login.users["carol"].startswith("pbkdf2:")    # the hash is kept, never the password


@pytest.mark.parametrize("env, file_text, where", [("alice", None, "GLIMPSE_USERS entry 1"),
                                                   ("alice:x,:pw", None, "GLIMPSE_USERS entry 2"),
                                                   (None, "ok:1\nbroken\n", "users.txt line 2"),
                                                   (None, "bob:\n", "users.txt line 1")])
def test_a_malformed_users_entry_fails_at_start_naming_it(env, file_text, where):
    with pytest.raises(ValueError, match=where):
        login.parse_users(env, file_text, source="users.txt")


# ------------------------------------------------------------------ who may upload
def test_uploaders_limit_adding_models_to_named_users():
    client = make_app(dict(USERS, GLIMPSE_UPLOADERS="alice")).server.test_client()
    r = client.post("/_dash-update-component", json=CALLBACK, headers=basic("alice", "secret"))
    assert who(r) == ("alice", "None")
    r = client.post("/_dash-update-component", json=CALLBACK, headers=basic("bob", "pw"))
    assert who(r)[0] == "bob" and "bob is not one of them" in who(r)[1] and "GLIMPSE_UPLOADERS" in who(r)[1]


def test_a_client_cannot_name_itself_with_the_user_header():
    env = {"GLIMPSE_UPLOADERS": "alice"}        # login off: nobody is signed in
    client = make_app(env).server.test_client()
    r = client.post("/_dash-update-component", json=CALLBACK, headers={"X-Glimpse-User": "alice"})
    assert who(r)[0] == "None" and "not signed in" in who(r)[1]
    client = make_app(dict(USERS, **env)).server.test_client()
    r = client.post("/_dash-update-component", json=CALLBACK, headers={**basic("bob", "pw"), "X-Glimpse-User": "alice"})
    assert who(r)[0] == "bob"


def test_the_guard_at_the_top_of_the_upload_callbacks(monkeypatch, service):
    """train_csv runs as a background job (no request): the user comes from the headers
    Dash copies into the job's callback context, which the request gate wrote."""
    monkeypatch.setenv("GLIMPSE_UPLOADERS", "alice")
    token = context_value.set(AttributeDict(headers={"X-Glimpse-User": "bob"}))
    try:
        message, added = upload.train_csv(service, lambda p: None, "data:text/csv;base64,YSxiCjEsMgo=", "t.csv", "b")
        assert "bob is not one of them" in str(message) and added is dash.no_update
        message, added = upload.add_torchscript(service, "data:;base64,eA==", "m.pt", "1,28,28", "", None)
        assert "bob is not one of them" in str(message) and added is dash.no_update
        context_value.set(AttributeDict(headers={"X-Glimpse-User": "alice"}))
        message, added = upload.add_torchscript(service, "data:;base64,eA==", "m.pt", "1,28,28", "", None)
        assert "GLIMPSE_UPLOADERS" not in str(message)      # past the guard: the file itself is refused
    finally:
        context_value.reset(token)


# ------------------------------------------------------------------ OIDC wiring
class FakeIssuer(BaseHTTPRequestHandler):
    """An issuer's discovery document only: enough for the redirect to its login page."""

    def do_GET(self):   # noqa: N802
        base = f"http://127.0.0.1:{self.server.server_port}"
        body = json.dumps({"issuer": base, "authorization_endpoint": base + "/authorize",
                           "token_endpoint": base + "/token", "jwks_uri": base + "/jwks"}).encode()
        self.send_response(200 if self.path == "/.well-known/openid-configuration" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def issuer():
    server = HTTPServer(("127.0.0.1", 0), FakeIssuer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_oidc_is_wired_when_an_issuer_is_configured(issuer):
    env = {"GLIMPSE_OIDC_ISSUER": issuer, "GLIMPSE_OIDC_CLIENT_ID": "glimpse", "GLIMPSE_OIDC_CLIENT_SECRET": "s",
           "GLIMPSE_SECRET_KEY": "k" * 32, "GLIMPSE_UPLOADERS": "ann@example.org"}
    app = make_app(env)
    client = app.server.test_client()
    r = client.get("/")                     # a page: off to the issuer's login
    assert r.status_code == 302
    assert r.headers["Location"].startswith(issuer + "/authorize?")
    assert "client_id=glimpse" in r.headers["Location"]
    assert "redirect_uri=http%3A%2F%2Flocalhost%2Foidc%2Foidc%2Fcallback" in r.headers["Location"]
    assert client.post("/_dash-update-component", json=CALLBACK).status_code == 401     # a fetch: 401
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/_glimpse/health").status_code == 200
    with client.session_transaction() as session:
        session["user"] = {"email": "ann@example.org"}
    r = client.post("/_dash-update-component", json=CALLBACK)
    assert r.status_code == 200 and who(r) == ("ann@example.org", "None")


def test_oidc_without_a_secret_key_fails_at_start():
    with pytest.raises(ValueError, match="GLIMPSE_SECRET_KEY"):
        security.SecuritySettings.from_env({"GLIMPSE_OIDC_ISSUER": "https://id.example.org"})


# ------------------------------------------------------------------ binding
@pytest.mark.parametrize("host, env, warns", [("0.0.0.0", {}, True), ("192.168.1.5", {}, True), ("::", {}, True),
                                              ("127.0.0.1", {}, False), ("::1", {}, False), ("localhost", {}, False),
                                              ("0.0.0.0", USERS, False)])
def test_a_loud_warning_when_bound_beyond_loopback_without_login(caplog, host, env, warns):
    with caplog.at_level(logging.WARNING, logger="glimpse.security"):
        assert security.warn_if_exposed([(host, 8050)], security.SecuritySettings.from_env(env)) is warns
    assert ("WITHOUT LOGIN" in caplog.text) is warns


def test_a_unix_socket_is_local():
    assert security.warn_if_exposed(["/run/glimpse.sock"], security.SecuritySettings()) is False
