"""Fair compute: cheap methods never wait behind expensive ones; one expensive computation
per client; hooks of one thread do not see (or change) another thread's forwards."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch
from flask_caching.backends import NullCache

from explain_core import ExplanationService
from explain_core.fair_compute import HOOKED, BusyError, ComputeGate, client_scope, is_expensive
from explain_core.methods import registry
from explain_core.methods.base import hooks
from tests.held_slot import held_slot

MODEL = "mnist-cnn"
BIG_LIME = {"n_samples": 20000}


@pytest.fixture(scope="module")
def fresh(settings, service):
    """A service over the session's stored models with no result cache: every call computes."""
    svc = ExplanationService(settings, cache=NullCache())
    svc.ensure_models(model_ids=[MODEL, "wine-mlp", "mnist-vit"])
    return svc


def in_thread(fn, *args, **kw):
    box = {}

    def run():
        try:
            box["value"] = fn(*args, **kw)
        except BaseException as e:  # noqa: BLE001 - handed to the test
            box["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


@pytest.fixture()
def held(fresh):
    """The process's expensive slot held by client 'holder' until the test ends (or it sets it)."""
    with held_slot(fresh.compute.gate, "holder") as release:
        yield release


def test_cheap_methods_do_not_wait_behind_a_held_expensive_slot(fresh, held):
    for method in ("integrated_gradients", "saliency", "activations", "gradcam"):
        t, box = in_thread(fresh.explain, MODEL, 7, method, client="someone")
        t.join(10)
        assert not t.is_alive(), f"{method} waited behind the expensive slot"
        assert "error" not in box and box["value"] is not None
    t, box = in_thread(fresh.explain, MODEL, 7, "lime", n_samples=1000, client="someone")   # LIME's default: cheap
    t.join(10)
    assert not t.is_alive() and "error" not in box


def test_a_client_with_a_running_expensive_computation_is_refused(fresh, held):
    t0 = time.perf_counter()
    with pytest.raises(BusyError, match="You already have a LIME computation running; wait for it"):
        fresh.explain(MODEL, 8, "lime", client="holder", **BIG_LIME)
    assert time.perf_counter() - t0 < 1.0    # refused at once, not after waiting
    with client_scope("holder"), pytest.raises(BusyError):    # the key set for the request counts too
        fresh.explain(MODEL, 8, "lime", **BIG_LIME)


def test_another_client_queues_shows_its_place_and_runs_when_the_slot_frees(fresh, held):
    t, box = in_thread(fresh.explain, MODEL, 9, "lime", client="waiter", **BIG_LIME)
    deadline = time.monotonic() + 5
    while fresh.compute_status("waiter")["position"] is None and time.monotonic() < deadline:
        time.sleep(0.01)
    status = fresh.compute_status("waiter")
    assert status == {"running": 1, "waiting": 1, "position": 1, "mine": None}
    time.sleep(0.2)
    assert t.is_alive()                      # still waiting: the holder has the slot
    held.set()
    t.join(30)
    assert not t.is_alive() and "error" not in box
    assert box["value"].params["n_samples"] == 20000
    assert fresh.compute_status("waiter") == {"running": 0, "waiting": 0, "position": None, "mine": None}


def test_a_full_queue_refuses_with_a_message():
    gate = ComputeGate(max_running=1, max_waiting=1)
    b_done = threading.Event()

    def b():
        with gate.expensive("b", "lime"):
            b_done.wait(10)
    with held_slot(gate, "a"):
        t, _ = in_thread(b)                                   # waits: the queue is full now
        deadline = time.monotonic() + 5
        while gate.status()["waiting"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(BusyError, match="busy with 2 long computations"):
            with gate.expensive("c", "lime"):
                pass
    deadline = time.monotonic() + 5
    while gate.status("b")["mine"] is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gate.status("b")["mine"] == "LIME"                 # b got the slot when a let go
    b_done.set()
    t.join(5)


def test_a_wait_is_bounded():
    gate = ComputeGate(max_wait_s=0.2)
    with gate.expensive("a", "lime"):
        t0 = time.perf_counter()
        with pytest.raises(BusyError, match="Waited 0.2 s behind other long computations"):
            with gate.expensive("b", "lime"):
                pass
        assert time.perf_counter() - t0 < 2
    assert gate.status() == {"running": 0, "waiting": 0, "position": None, "mine": None}


def test_cost_classes():
    digit, wine = (1, 28, 28), (13,)
    assert is_expensive("lime", {"n_samples": 20000}, digit)
    assert not is_expensive("lime", {"n_samples": 1000}, digit)           # the default click
    assert not is_expensive("lime", {"n_samples": 20000}, wine)           # a table row is small
    assert not is_expensive("occlusion", {"window": 1, "stride": 1}, digit)   # 784 windows
    assert is_expensive("occlusion", {"window": 1, "stride": 1}, (3, 224, 224))
    assert not is_expensive("integrated_gradients", {"n_steps": 1000}, digit)
    assert not is_expensive("smoothgrad", {"n_samples": 500}, digit)


def test_identical_concurrent_requests_compute_once(fresh, monkeypatch):
    calls = []
    real = registry.RUNNERS["saliency"]

    def slow(*args):
        calls.append(1)
        time.sleep(0.3)
        return real(*args)
    monkeypatch.setitem(registry.RUNNERS, "saliency", slow)
    from explain_core.cache import InProcessCache

    svc = ExplanationService(fresh.settings, cache=InProcessCache(default_timeout=0))
    svc.register(fresh._model(MODEL))
    runs = [in_thread(svc.explain, MODEL, 11, "saliency") for _ in range(4)]
    for t, _ in runs:
        t.join(10)
    assert len(calls) == 1
    assert all("error" not in box for _, box in runs)


def test_only_the_hooked_methods_register_hooks(fresh, monkeypatch):
    """HOOKED must name every method that puts hooks on the shared model: the others run
    without the per-model lock, at the same time as anything else."""
    seen: set[str] = set()
    current = {"method": None}
    for name in ("register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
                 "register_backward_hook"):
        real = getattr(torch.nn.Module, name)

        def spy(self, *a, _real=real, **kw):
            seen.add(current["method"])
            return _real(self, *a, **kw)
        monkeypatch.setattr(torch.nn.Module, name, spy)
    for model_id in (MODEL, "wine-mlp", "mnist-vit"):
        kind = fresh.model_info(model_id).kind
        for method, spec in registry.METHODS.items():
            if kind not in spec.kinds or (method in registry.ATTENTION_METHODS and model_id != "mnist-vit"):
                continue
            current["method"] = method
            fresh.explain(model_id, 3, method)
    assert seen == set(HOOKED)


def test_forward_hooks_see_only_their_own_threads_forwards(fresh):
    module = fresh.torch_model(MODEL)
    layer = dict(module.named_modules())["conv1"]
    calls = []
    x = torch.zeros(1, 1, 28, 28)
    with hooks([(layer, "forward", lambda m, i, o: calls.append(threading.get_ident()))]):
        other = threading.Thread(target=lambda: module(x))
        other.start()
        other.join(10)
        assert calls == []                   # another thread's forward passed unseen
        module(x)
        assert calls == [threading.get_ident()]


def test_activations_are_right_while_other_threads_compute(fresh):
    """Activations (hooked) and integrated gradients (not locked) of the same model at once."""
    alone = fresh.explain(MODEL, 5, "activations")
    stop = threading.Event()

    def busy():
        i = 20
        while not stop.is_set():
            fresh.explain(MODEL, i, "integrated_gradients")
            i += 1
    workers = [threading.Thread(target=busy, daemon=True) for _ in range(2)]
    for w in workers:
        w.start()
    try:
        for _ in range(10):
            again = fresh.explain(MODEL, 5, "activations")
            assert [a.name for a in again.layers] == [a.name for a in alone.layers]
            for a, b in zip(again.layers, alone.layers):
                assert np.array_equal(a.values, b.values), a.name
    finally:
        stop.set()
        for w in workers:
            w.join(10)
