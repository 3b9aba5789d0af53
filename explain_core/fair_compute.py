"""Who computes now: cheap methods at once, expensive ones one at a time, one per client.

A gradient map costs milliseconds; LIME at 20,000 perturbed samples costs a second or
more. Behind one per-model lock, two clients flooding LIME held every gradient map of
that model for seconds. Here only the sampling methods above a cost threshold are
"expensive": at most `max_running` of them run in the process at a time (the others
wait in a FIFO queue, at most `max_waiting` deep) and a client may have one of them
running or waiting. Everything else (gradients, Grad-CAM, activations, the tree, small
LIME runs) never waits here.

The client key is whatever identifies a browser (the dashboard derives it from a cookie
and the remote address): pass `client=` to ExplanationService.explain, or set it for the
current request with `client_scope` / `set_client`. No key: no per-client limit.
"""
from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from math import prod

from .errors import GlimpseError

# Sampling methods: their cost is (model rows) x (input size) and the user picks the rows.
SAMPLING = ("lime", "kernel_shap", "occlusion")
# Methods that register hooks on the shared module (see methods/base.hooks): one at a
# time per model. tests/core/test_fair_compute.py checks this list against the code.
HOOKED = ("activations", "gradcam", "attention", "attention_rollout", "weights")   # weights: its shape probe
# rows x input elements above which a sampling method is expensive: about 5,000 MNIST
# digits, ~0.4 s of LIME on 2 cores (LIME's default 1,000 samples stays cheap).
EXPENSIVE_COST = 4_000_000
TITLES = {"lime": "LIME", "kernel_shap": "KernelSHAP", "occlusion": "occlusion"}

_client: contextvars.ContextVar[str | None] = contextvars.ContextVar("glimpse_client", default=None)


class BusyError(GlimpseError):
    """An expensive computation refused: this client already has one, or the queue is full."""


def current_client() -> str | None:
    return _client.get()


def set_client(key: str | None) -> contextvars.Token:
    """Name the client of the current request (undo with reset_client(token))."""
    return _client.set(key)


def reset_client(token: contextvars.Token) -> None:
    _client.reset(token)


@contextlib.contextmanager
def client_scope(key: str | None):
    token = set_client(key)
    try:
        yield
    finally:
        reset_client(token)


def model_rows(method: str, params: dict, input_shape: tuple[int, ...]) -> int:
    """How many inputs a sampling method sends through the model (0 for other methods)."""
    if method in ("lime", "kernel_shap"):
        return int(params.get("n_samples") or 0)
    if method == "occlusion":
        w, s = int(params["window"]), int(params["stride"])
        sides = input_shape[-2:] if len(input_shape) == 3 else input_shape[-1:]
        return prod(max(1, (n - w) // s + 1) for n in sides)
    return 0


def is_expensive(method: str, params: dict, input_shape: tuple[int, ...], threshold: int = EXPENSIVE_COST) -> bool:
    return method in SAMPLING and model_rows(method, params, input_shape) * prod(input_shape) >= threshold


class ComputeGate:
    """The expensive class's admission: `max_running` at a time, FIFO, one per client."""

    def __init__(self, max_running: int = 1, max_waiting: int = 8, max_wait_s: float = 90.0):
        self.max_running = max_running
        self.max_waiting = max_waiting
        self.max_wait_s = max_wait_s
        self._cond = threading.Condition()
        self._running: list[tuple[object, str | None, str]] = []   # (ticket, client, title)
        self._queue: list[tuple[object, str | None, str]] = []

    @contextlib.contextmanager
    def expensive(self, client: str | None, method: str):
        title = TITLES.get(method, method)
        entry = (object(), client, title)
        with self._cond:
            self._admit(entry)
            try:
                self._wait_turn(entry)
            except BaseException:
                self._queue.remove(entry)
                self._cond.notify_all()
                raise
            self._queue.remove(entry)
            self._running.append(entry)
        try:
            yield
        finally:
            with self._cond:
                self._running.remove(entry)
                self._cond.notify_all()

    def _admit(self, entry) -> None:
        _, client, title = entry
        mine = [t for _, c, t in self._running + self._queue if client is not None and c == client]
        if mine:
            raise BusyError(f"You already have a {mine[0]} computation running; wait for it to finish "
                            f"before starting another {title}.")
        if len(self._queue) >= self.max_waiting:
            raise BusyError(f"The server is busy with {len(self._running) + len(self._queue)} long computations; "
                            f"try this {title} again in a minute, or with fewer samples.")
        self._queue.append(entry)

    def _wait_turn(self, entry) -> None:
        deadline = time.monotonic() + self.max_wait_s
        while self._queue.index(entry) > 0 or len(self._running) >= self.max_running:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BusyError(f"Waited {self.max_wait_s:g} s behind other long computations; "
                                f"try this {entry[2]} again in a moment.")
            self._cond.wait(left)

    def status(self, client: str | None = None) -> dict:
        """{'running': n, 'waiting': n, 'position': 1-based place of `client`'s waiting
        request or None, 'mine': title of `client`'s running computation or None}."""
        with self._cond:
            position = next((k + 1 for k, (_, c, _) in enumerate(self._queue) if client and c == client), None)
            mine = next((t for _, c, t in self._running if client and c == client), None)
            return {"running": len(self._running), "waiting": len(self._queue), "position": position, "mine": mine}


class FairCompute:
    """The service's admission for computations: one per cache key at a time (a second
    identical request waits and then finds the result cached), expensive ones through a
    ComputeGate, hooked ones one at a time per model, the rest at once."""

    def __init__(self, gate: ComputeGate | None = None, threshold: int = EXPENSIVE_COST):
        self.gate = gate or ComputeGate()
        self.threshold = threshold
        self._lock = threading.Lock()
        self._keys: dict[str, list] = {}              # key -> [lock, users]
        self._hook_locks: dict[str, threading.Lock] = {}

    def hook_lock(self, model_id: str) -> threading.Lock:
        with self._lock:
            return self._hook_locks.setdefault(model_id, threading.Lock())

    @contextlib.contextmanager
    def same_key(self, key: str):
        with self._lock:
            entry = self._keys.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._lock:
                entry[1] -= 1
                if entry[1] == 0:
                    self._keys.pop(key, None)

    def slot(self, model_id: str, method: str, params: dict, input_shape: tuple[int, ...], client: str | None):
        """The context a computation runs in (see the class docstring)."""
        if is_expensive(method, params, input_shape, self.threshold):
            return self.gate.expensive(client if client is not None else current_client(), method)
        if method in HOOKED:
            return self.hook_lock(model_id)
        return contextlib.nullcontext()
