"""The header's server notice, the per-request client key and /_glimpse/status."""
from __future__ import annotations

import pytest

from bench.dash_requests import Page
from dashboard import create_app, ids, server_status
from explain_core import ExplanationService
from explain_core.cache import InProcessCache
from explain_core.resilient_cache import NOTICE, ResilientCache
from tests.deploy.conftest import free_port, wait_until
from tests.held_slot import held_slot


def notice_body() -> dict:
    return {"output": f"..{ids.SERVER_NOTICE}.children...{ids.SERVER_NOTICE}.style..",
            "outputs": [{"id": ids.SERVER_NOTICE, "property": "children"},
                        {"id": ids.SERVER_NOTICE, "property": "style"}],
            "inputs": [{"id": ids.SERVER_POLL, "property": "n_intervals", "value": 1}],
            "state": [], "changedPropIds": [f"{ids.SERVER_POLL}.n_intervals"]}


@pytest.fixture()
def make_client():
    """A test client of create_app(service); the start-up thread a first request starts is
    waited for at the end (a daemon thread still in torch when the process exits aborts it)."""
    apps = []

    def make(service):
        apps.append(create_app(service, start=False))
        return apps[-1].server.test_client()
    yield make
    for app in apps:
        app.glimpse_startup.wait(120)


def test_messages():
    ok = {"degraded": False, "message": "shared"}
    idle = {"running": 0, "waiting": 0, "position": None, "mine": None}
    assert server_status.messages(ok, idle) == []
    assert server_status.messages({"degraded": True, "message": NOTICE}, idle) == [NOTICE]
    queued = server_status.messages(ok, {"running": 1, "waiting": 2, "position": 2, "mine": None})
    assert queued == ["Your long computation is queued behind 2 requests; it starts when they finish."]
    assert server_status.messages(ok, {**idle, "running": 1, "mine": "LIME"}) == ["Your LIME computation is running."]


def test_the_notice_shows_while_redis_is_down(settings, make_client):
    dead = f"redis://127.0.0.1:{free_port()}/0"        # nothing listens there
    svc = ExplanationService(settings, cache=ResilientCache(dead, InProcessCache(default_timeout=0)))
    client = make_client(svc)
    assert svc.cache.get("anything") is None          # refused: degraded from now on
    r = client.post("/_dash-update-component", json=notice_body())
    assert r.status_code == 200
    out = r.get_json()["response"][ids.SERVER_NOTICE]
    assert out["style"] == {} and NOTICE in str(out["children"])
    status = client.get("/_glimpse/status").get_json()
    assert status["cache"] == {"shared": False, "degraded": True, "message": NOTICE}


def test_the_notice_is_hidden_when_all_is_well(service, make_client):
    client = make_client(service)
    out = client.post("/_dash-update-component", json=notice_body()).get_json()["response"][ids.SERVER_NOTICE]
    assert out == {"children": [], "style": {"display": "none"}}


def test_the_status_says_when_the_start_up_thread_has_finished(service, make_client):
    client = make_client(service)

    def finished():
        startup = client.get("/_glimpse/status").get_json()["startup"]
        return startup if startup["done"] else None
    startup = wait_until(finished, 120, "the start-up thread")
    assert startup["ready"] is True and startup["error"] is None


def test_a_browser_gets_a_client_cookie_once(service, make_client):
    client = make_client(service)
    first = client.get("/_glimpse/health")
    assert server_status.COOKIE in first.headers.get("Set-Cookie", "")
    assert "HttpOnly" in first.headers["Set-Cookie"] and "SameSite=Lax" in first.headers["Set-Cookie"]
    assert "Set-Cookie" not in client.get("/_glimpse/health").headers   # the browser sends it back now


@pytest.fixture()
def busy_browser(service):
    """The expensive slot held by the browser whose cookie is 'abc', until the test ends."""
    with held_slot(service.compute.gate, server_status.client_key("abc", "127.0.0.1")):
        yield


def test_a_second_expensive_request_of_one_browser_gets_a_message(service, busy_browser, make_client):
    client = make_client(service)
    client.set_cookie(server_status.COOKIE, "abc")
    body = Page.fetch(lambda path: client.get(path).get_json()).lime("mnist-cnn", 17, 20000)
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200
    assert "You already have a LIME computation running; wait for it" in r.get_data(as_text=True)
    status = client.get("/_glimpse/status").get_json()
    assert status["compute"] == {"running": 1, "waiting": 0, "position": None, "mine": "LIME"}


ALICE = {"Authorization": "Basic YWxpY2U6cHc="}     # alice:pw


def test_a_signed_in_user_is_one_client_whatever_the_browser(service, make_client, monkeypatch):
    monkeypatch.setenv("GLIMPSE_USERS", "alice:pw")
    with held_slot(service.compute.gate, server_status.client_key(None, None, user="alice")):
        client = make_client(service)
        body = Page.fetch(lambda path: client.get(path, headers=ALICE).get_json()).lime("mnist-cnn", 18, 20000)
        r = client.post("/_dash-update-component", json=body, headers=ALICE)
        assert "You already have a LIME computation running" in r.get_data(as_text=True)


def test_without_login_a_user_name_in_a_header_is_not_trusted(service, make_client):
    with held_slot(service.compute.gate, server_status.client_key(None, None, user="alice")):
        status = make_client(service).get("/_glimpse/status", headers=ALICE).get_json()
    assert status["compute"]["running"] == 1 and status["compute"]["mine"] is None
