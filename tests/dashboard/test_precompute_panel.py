"""The precompute panel's job runner and callback as plain functions (no browser)."""
from __future__ import annotations

import time

import pytest
from dash import no_update

from dashboard import ids
from dashboard.precompute import PrecomputeJobs, cache_note, describe, job_action, method_options
from explain_core import ExplanationService
from explain_core.errors import GlimpseError
from tests.forward_counter import ForwardCounter

TITLES = {"integrated_gradients": "Integrated gradients", "occlusion": "Occlusion"}


def text_of(component) -> str:
    if component is None:
        return ""
    if isinstance(component, str):
        return component
    if isinstance(component, (list, tuple)):
        return " ".join(text_of(c) for c in component)
    return text_of(getattr(component, "children", None))


@pytest.fixture
def fresh(settings):
    """Same stored models, an empty in-process cache: nothing precomputed yet."""
    return ExplanationService(settings.with_(cache_type="simple"))


def test_job_precomputes_every_sample_then_clicks_hit_the_cache(fresh):
    jobs = PrecomputeJobs(fresh)
    started = jobs.start("wine-mlp", ["integrated_gradients"])
    assert started["state"] == "running" and started["total"] == started["samples"] > 100
    status = jobs.wait(120)
    assert status["state"] == "done", status
    assert status["done"] == status["total"]
    assert status["counts"]["computed"] + status["counts"]["already_cached"] == status["samples"]
    model = fresh.torch_model("wine-mlp")
    with ForwardCounter(model) as fc:
        for i in (0, 57, status["samples"] - 1):
            fresh.explain("wine-mlp", i, "integrated_gradients")
    assert fc.any_calls == 0
    bar, text, message, poll_disabled, cancel_style = describe(status, TITLES)
    assert bar == {"width": "100.0%"} and poll_disabled and cancel_style == {"display": "none"}
    assert "Done" in text_of(message) and f"{status['samples']:,} samples of wine-mlp" in text_of(message)


def test_cancel_stops_the_job_and_keeps_what_was_done(fresh):
    jobs = PrecomputeJobs(fresh)
    jobs.start("mnist-cnn", ["occlusion"])          # one digit at a time: long enough to cancel
    deadline = time.time() + 60
    while jobs.status()["done"] == 0 and time.time() < deadline:
        time.sleep(0.05)
    jobs.cancel()
    status = jobs.wait(60)
    assert status["state"] == "cancelled"
    assert 0 < status["counts"]["computed"] < status["samples"]
    assert fresh.cached("mnist-cnn", 0, "occlusion")       # the first batch is sample 0
    assert "Cancelled" in text_of(describe(status, TITLES)[2])
    jobs.start("wine-mlp", ["saliency"])                  # a new job can start after a cancel
    assert jobs.wait(60)["state"] == "done"


def test_bad_requests_are_messages_and_a_running_job_is_not_replaced(fresh):
    jobs = PrecomputeJobs(fresh)
    for model_id, methods, match in ((None, ["saliency"], "model"), ("wine-mlp", [], "at least one"),
                                     ("wine-mlp", ["gradcam"], "Cannot precompute gradcam")):
        with pytest.raises(GlimpseError, match=match):
            jobs.start(model_id, methods)
    assert jobs.status()["state"] == "idle"
    jobs.start("mnist-cnn", ["occlusion"])
    with pytest.raises(GlimpseError, match="already running"):
        jobs.start("wine-mlp", ["saliency"])
    assert jobs.status()["model_id"] == "mnist-cnn"
    jobs.cancel()
    jobs.wait(60)


def test_job_action_drives_the_panel(fresh):
    jobs = PrecomputeJobs(fresh)
    # opening the panel with no job: nothing to show, nothing polled
    assert job_action(jobs, TITLES, ids.PRECOMPUTE_TOGGLE, "wine-mlp", ["saliency"]) == \
        (no_update, no_update, no_update, True, {"display": "none"}, False)
    # a bad request: a warning, the start button stays usable
    out = job_action(jobs, TITLES, ids.PRECOMPUTE_START, "wine-mlp", [])
    assert "at least one" in text_of(out[2]) and out[5] is False
    # a good one (5,000 digits one at a time: still running when the callback returns):
    # polling on, Start disabled while it runs, Cancel shown
    out = job_action(jobs, TITLES, ids.PRECOMPUTE_START, "mnist-cnn", ["occlusion"])
    assert out[3] is False and out[4] == {} and out[5] is True
    out = job_action(jobs, TITLES, ids.PRECOMPUTE_CANCEL, "mnist-cnn", ["occlusion"])
    jobs.wait(60)
    out = job_action(jobs, TITLES, ids.PRECOMPUTE_POLL, "mnist-cnn", ["occlusion"])
    assert out[3] is True and out[4] == {"display": "none"} and out[5] is False and "Cancelled" in text_of(out[2])
    # a job that finishes: Done
    job_action(jobs, TITLES, ids.PRECOMPUTE_START, "wine-mlp", ["integrated_gradients"])
    jobs.wait(120)
    out = job_action(jobs, TITLES, ids.PRECOMPUTE_POLL, "wine-mlp", ["integrated_gradients"])
    assert out[3] is True and out[5] is False and "Done" in text_of(out[2])


def test_a_new_panel_shows_the_last_job_by_its_model_and_start_replaces_it(fresh):
    """The status is shared through the cache: a new job runner (another worker, a new app on
    the same cache) opens on the last job, which may be another model's."""
    assert PrecomputeJobs(fresh).start("wine-mlp", ["integrated_gradients"])["state"] == "running"
    jobs = PrecomputeJobs(fresh)
    deadline = time.time() + 120
    while jobs.status()["state"] == "running" and time.time() < deadline:
        time.sleep(0.05)
    n = len(fresh.samples("wine-mlp").predictions)
    out = job_action(jobs, TITLES, ids.PRECOMPUTE_TOGGLE, "mnist-cnn", ["occlusion"])
    assert f"Done: Integrated gradients for all {n:,} samples of wine-mlp." in text_of(out[2])
    out = job_action(jobs, TITLES, ids.PRECOMPUTE_START, "mnist-cnn", ["occlusion"])
    assert text_of(out[2]) == "" and out[5] is True            # this job, running: the old message goes
    jobs.cancel()
    assert jobs.wait(60)["model_id"] == "mnist-cnn"


def test_failed_job_is_reported_not_raised(fresh, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fresh, "precompute", boom)
    jobs = PrecomputeJobs(fresh)
    jobs.start("wine-mlp", ["saliency"])
    status = jobs.wait(30)
    assert status["state"] == "failed" and "disk full" in status["error"]
    assert "disk full" in text_of(describe(status, TITLES)[2])


def test_options_and_cache_note(fresh, service):
    values = [o["value"] for o in method_options(fresh, "mnist-cnn")]
    assert values[:1] == ["activations"] and "integrated_gradients" in values and "gradcam" in values
    slow = {o["value"] for o in method_options(fresh, "mnist-cnn") if "one sample per call" in o["label"]}
    assert "lime" in slow and "integrated_gradients" not in slow
    assert method_options(fresh, None) == [] and method_options(fresh, "no-such-model") == []
    assert "memory" in cache_note(fresh)
    shared = ExplanationService(fresh.settings.with_(cache_type="filesystem"))
    assert "every worker" in cache_note(shared)


def test_workers_sharing_a_cache_see_one_job_and_can_cancel_it(settings, tmp_path):
    """Two gunicorn workers: two services (and job runners) over one filesystem cache."""
    shared = settings.with_(cache_type="filesystem", cache_dir=tmp_path / "cache")
    a, b = PrecomputeJobs(ExplanationService(shared)), PrecomputeJobs(ExplanationService(shared))
    a.start("mnist-cnn", ["occlusion"])
    deadline = time.time() + 60
    while b.status().get("done", 0) == 0 and time.time() < deadline:
        time.sleep(0.05)
    seen = b.status()
    assert seen["state"] == "running" and seen["model_id"] == "mnist-cnn" and seen["done"] > 0
    with pytest.raises(GlimpseError, match="already running"):
        b.start("wine-mlp", ["saliency"])
    b.cancel()                                  # Cancel pressed in the other worker
    assert a.wait(60)["state"] == "cancelled"
    assert b.status()["state"] == "cancelled" and b.status()["counts"]["computed"] > 0
    b.start("wine-mlp", ["saliency"])           # a new job, in the other worker
    assert b.wait(60)["state"] == "done" and a.status()["model_id"] == "wine-mlp"


def test_a_job_whose_heartbeat_stopped_is_failed_within_seconds(fresh):
    """A job silent for a few seconds (its process was killed) is shown as failed, with how
    far it got, and does not block a new job; one silent for less is still running."""
    from explain_core.jobs import STALE_S

    jobs = PrecomputeJobs(fresh)
    record = {"state": "running", "job": "x", "started": time.time() - 60, "done": 1280, "total": 5000,
              "methods": ["saliency"], "owner": "elsewhere:1"}
    fresh.cache.set("glimpse-precompute:status", {**record, "updated": time.time() - STALE_S / 2})
    assert jobs.status()["state"] == "running"
    fresh.cache.set("glimpse-precompute:status", {**record, "updated": time.time() - STALE_S - 1})
    status = jobs.status()
    assert status["state"] == "failed" and "stopped at 1,280 of 5,000" in status["error"]
    assert "stays cached" in status["error"]
    jobs.start("wine-mlp", ["saliency"])       # not blocked by the dead job
    assert jobs.wait(60)["state"] == "done"


def test_a_job_whose_owner_process_is_gone_fails_at_once(fresh):
    """On the owner's host a vanished owner process is noticed before its heartbeat goes stale."""
    import subprocess
    import sys

    from explain_core.jobs import owner

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = owner().rpartition(":")[0]
    fresh.cache.set("glimpse-precompute:status", {"state": "running", "job": "y", "started": time.time(),
                                                  "updated": time.time(), "done": 3, "total": 9,
                                                  "methods": ["saliency"], "owner": f"{host}:{dead.pid}"})
    assert PrecomputeJobs(fresh).status()["state"] == "failed"
    fresh.cache.set("glimpse-precompute:status", {"state": "running", "job": "y", "started": time.time(),
                                                  "updated": time.time(), "done": 3, "total": 9,
                                                  "methods": ["saliency"], "owner": owner()})
    assert PrecomputeJobs(fresh).status()["state"] == "running"
