"""HTTP limits, headers and login under `gunicorn app:server -w 2` on 127.0.0.1, with the
test session's stored models (dashboard/security.py, gunicorn.conf.py)."""
from __future__ import annotations

import base64
import json
import logging
import re
import runpy
import select
import socket
import threading
import time
import urllib.parse
from types import SimpleNamespace

import psutil
import pytest

from dashboard import ids
from tests.deploy.conftest import ROOT, Gunicorn, base_env, http_get, wait_until

MB = 2**20
ALICE = {"Authorization": "Basic " + base64.b64encode(b"alice:secret").decode()}
BOB = {"Authorization": "Basic " + base64.b64encode(b"bob:pw").decode()}
SERVER_SECRETS = ("werkzeug", "python/", "gunicorn", "27.", "3.1")


@pytest.fixture(scope="module")
def open_server(trained_models, tmp_path_factory):
    g = Gunicorn(tmp_path_factory.mktemp("open"), base_env()).start()
    # Both workers' start-up finished, so the RSS measured is the request's: after `ready`
    # (health) the start-up thread still warms the first view and loads the other models
    # (+70-80 MB); a test run right after `ready` measured that (a worker "grew by 54 MB").
    done = set()

    def both_started():
        status = json.loads(http_get(g.url + "/_glimpse/status")[2])
        if status["startup"]["done"]:
            assert status["startup"]["ready"], status["startup"]
            done.add(status["pid"])
        return len(done) == 2
    wait_until(both_started, 180, "both workers' start-up", interval=0.2)
    wait_until(lambda: workers_idle(g.proc.popen.pid), 60, "both workers idle")   # any other background work
    yield g
    g.stop()


@pytest.fixture(scope="module")
def login_server(trained_models, tmp_path_factory):
    env = base_env(GLIMPSE_USERS="alice:secret,bob:pw", GLIMPSE_UPLOADERS="alice")
    g = Gunicorn(tmp_path_factory.mktemp("login"), env).start()
    yield g
    g.stop()


# ------------------------------------------------------------------ helpers
def post_streamed(port: int, total: int, chunked: bool, path="/_dash-update-component", piece=MB):
    """POST `total` bytes made piece by piece (never held whole); stop sending as soon as
    the server answers. (status, body text, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 f"{framing}\r\n\r\n".encode())
    data, sent = b"[" * piece, 0
    try:
        while sent < total and not select.select([sock], [], [], 0)[0]:
            sock.sendall(b"%x\r\n%s\r\n" % (piece, data) if chunked else data)
            sent += piece
    except (BrokenPipeError, ConnectionResetError):
        pass                                     # the server answered and closed
    raw = b""
    try:      # up to the end of the answer (a server may keep reading what is still in flight)
        while (chunk := sock.recv(65536)) and not answered(raw := raw + chunk):
            pass
    except ConnectionResetError:
        pass
    sock.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split()[1]) if head else 0
    return status, body.decode(errors="replace"), sent


def answered(raw: bytes) -> bool:
    head, sep, body = raw.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return bool(sep and length and len(body) >= int(length.group(1)))


def workers_idle(master_pid: int, window: float = 0.5) -> bool:
    """No worker of the gunicorn master used more than 5% of a core over `window` seconds."""
    workers = psutil.Process(master_pid).children()
    before = [sum(w.cpu_times()[:2]) for w in workers]
    time.sleep(window)
    return all(sum(w.cpu_times()[:2]) - b < 0.05 * window for w, b in zip(workers, before))


class PeakRss:
    """The largest RSS growth of any worker of a gunicorn master while the block runs."""

    def __init__(self, master_pid: int):
        self.workers = psutil.Process(master_pid).children()
        self.base = {w.pid: w.memory_info().rss for w in self.workers}
        self.peak = dict(self.base)
        self._stop = threading.Event()

    def _sample(self):
        while not self._stop.is_set():
            for w in self.workers:
                self.peak[w.pid] = max(self.peak[w.pid], w.memory_info().rss)
            time.sleep(0.02)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        time.sleep(0.3)
        self._stop.set()
        self._thread.join(5)

    @property
    def growth_mb(self) -> float:
        return max(self.peak[p] - self.base[p] for p in self.base) / MB


def post_json(url: str, body: dict, headers: dict, timeout=60):
    import urllib.request
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def call(server, output_id: str, values: dict, headers: dict, timeout=90) -> str:
    """Run the page's callback that writes `output_id` as the browser would (background
    callbacks polled until done); the text of its response."""
    status, _, page = http_get(server.url + "/", headers=headers)
    assert status == 200
    end_id = json.loads(re.search(rb'id="_dash-config" type="application/json">(.*?)</script>', page).group(1))["end_id"]
    deps = json.loads(http_get(server.url + "/_dash-dependencies", headers=headers)[2])
    dep = next(d for d in deps if f"..{output_id}." in d["output"])
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in dep["output"].strip(".").split("...")]

    def items(kind):
        return [dict(i, value=values.get(f"{i['id']}.{i['property']}")) for i in dep[kind]]
    body = {"output": dep["output"], "outputs": outputs, "inputs": items("inputs"), "state": items("state"),
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]]}
    url = server.url + "/_dash-update-component?endId=" + urllib.parse.quote(end_id)
    status, answer = post_json(url, body, headers)
    assert status == 200, answer
    if "cacheKey" in answer:                   # a background callback: poll for its result
        poll = url + "&" + urllib.parse.urlencode({"cacheKey": answer["cacheKey"], "job": answer["job"]})
        answer = wait_until(lambda: (lambda s, a: a if s == 200 and a and "response" in a else None)(
            *post_json(poll, body, headers)), timeout, "the background callback", interval=0.5)
    return json.dumps(answer)


# ------------------------------------------------------------------ request size
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_400_mb_post_gets_413_without_the_workers_reading_it(open_server, chunked):
    with PeakRss(open_server.proc.popen.pid) as rss:
        status, body, sent = post_streamed(open_server.port, 400 * MB, chunked)
    assert status == 413, body
    assert "larger than the 20 MB limit (GLIMPSE_MAX_UPLOAD_MB)" in body
    assert sent < 200 * MB, f"the client could send {sent / MB:.0f} MB before the answer"
    assert rss.growth_mb < 50, f"a worker grew by {rss.growth_mb:.0f} MB"
    assert http_get(open_server.url + "/_glimpse/health")[0] == 200      # and it still serves


# ------------------------------------------------------------------ headers
def test_headers_on_every_response_and_no_server_version(open_server):
    for path in ("/", "/_dash-layout", "/assets/style.css", "/_glimpse/health", "/no-such-page"):
        status, headers, _ = http_get(open_server.url + path)
        assert status in (200, 404), path
        h = {k.lower(): v for k, v in headers.items()}
        assert "frame-ancestors 'none'" in h["content-security-policy"] and "script-src 'self' 'sha256-" in \
            h["content-security-policy"], path
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff", path
        assert h["referrer-policy"] == "no-referrer", path
        assert h["server"] == "glimpse", path
        assert not any(s in h["server"].lower() for s in SERVER_SECRETS)


# ------------------------------------------------------------------ login
def test_with_login_on_nothing_but_health_answers_without_credentials(login_server):
    url = login_server.url
    protected = ["/", "/_dash-layout", "/_dash-dependencies", "/assets/style.css", "/assets/clientside.js",
                 "/assets/favicon.ico", "/_dash-component-suites/dash/deps/polyfill@7.v4_4_1m1.12.1.min.js"]
    for path in protected:
        status, headers, body = http_get(url + path)
        assert status == 401, path
        assert headers["WWW-Authenticate"].startswith("Basic"), path
        assert b"mnist" not in body.lower()
        assert http_get(url + path, headers={"Authorization": "Basic Ym9iOndyb25n"})[0] == 401   # bob:wrong
        assert http_get(url + path, headers=ALICE)[0] == 200, path
    status, answer = post_json(url + "/_dash-update-component", {"output": "x.children"}, {})
    assert status == 401
    status, _, body = http_get(url + "/_glimpse/health")
    assert status == 200 and set(json.loads(body)) <= {"status", "ready", "pid"}


def test_uploaders_refuse_another_users_model_with_a_message(login_server):
    file = "data:application/octet-stream;base64," + base64.b64encode(b"not a model").decode()
    values = {f"{ids.TS_ADD}.n_clicks": 1, f"{ids.TS_UPLOAD}.contents": file, f"{ids.TS_UPLOAD}.filename": "m.pt",
              f"{ids.TS_SHAPE}.value": "1,28,28"}
    refused = "Adding models is limited to named users (GLIMPSE_UPLOADERS); bob is not one of them."
    assert refused in call(login_server, ids.TS_MESSAGE, values, BOB)
    assert "GLIMPSE_UPLOADERS" not in call(login_server, ids.TS_MESSAGE, values, ALICE)
    # CSV training runs as a background job: the user reaches it through the job's context
    csv = "data:text/csv;base64," + base64.b64encode(b"a,b,label\n" + b"1,2,0\n3,4,1\n" * 30).decode()
    values = {f"{ids.CSV_TRAIN}.n_clicks": 1, f"{ids.CSV_UPLOAD}.contents": csv,
              f"{ids.CSV_UPLOAD}.filename": "t.csv", f"{ids.CSV_TARGET}.value": "label"}
    assert refused in call(login_server, ids.CSV_MESSAGE, values, BOB)


# ------------------------------------------------------------------ binding
@pytest.mark.parametrize("address, env, warns", [(("0.0.0.0", 8050), {}, True), (("127.0.0.1", 8050), {}, False),
                                                 (("0.0.0.0", 8050), {"GLIMPSE_USERS": "a:b"}, False)])
def test_gunicorn_conf_warns_when_bound_beyond_loopback_without_login(monkeypatch, caplog, address, env, warns):
    for name in ("GLIMPSE_USERS", "GLIMPSE_USERS_FILE", "GLIMPSE_OIDC_ISSUER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["control_socket_disable"] is True
    with caplog.at_level(logging.WARNING, logger="glimpse.security"):
        conf["post_worker_init"](SimpleNamespace(cfg=SimpleNamespace(address=[address])))
    assert ("WITHOUT LOGIN" in caplog.text) is warns
