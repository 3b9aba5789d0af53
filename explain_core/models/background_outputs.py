"""A model's outputs for every sample, computed in a background thread.

glimpse.show on 70,000 digits would otherwise wait for the model to run over all of them
(≈ 10-20 s on 2 cores) before the page could show anything. The page needs far less at
first: the labels (known), the predictions for one page of thumbnails and for the selected
sample. So the rest runs here chunk by chunk while the page loads; rows asked for before
their chunk's turn (rows()) go through the model at once, and whatever needs every
prediction (the misclassified filter, the accuracy) waits for result().
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref

import numpy as np
import torch
from torch import nn

from ..errors import ModelError
from .inprocess import _forward as run_batch   # one batch, its errors as ModelErrors

log = logging.getLogger("glimpse.outputs")
CHUNK = 1000        # rows per model call (inprocess.outputs' batch)
_running: "weakref.WeakSet[BackgroundOutputs]" = weakref.WeakSet()


class BackgroundOutputs:
    """Outputs (n, width) of `module` for the samples X; `first` holds those of the first
    rows, already computed. start() begins the thread; status(), rows(), result().

    The thread runs at the lowest CPU priority (Linux: nice 19, inherited by the threads
    torch starts from it), so it takes only what the browser opening the page and the page's
    own requests leave. Whoever needs every output (result()) does not wait on it: it takes
    the chunks not started yet in its own thread, at its own priority."""

    def __init__(self, module: nn.Module, X: np.ndarray, first: np.ndarray, chunk: int = CHUNK):
        self.module, self.X, self.chunk = module, X, int(chunk)
        self._out = np.empty((len(X), first.shape[1]), np.float32)
        self._have = np.zeros(len(X), bool)
        self._out[:len(first)] = first
        self._have[:len(first)] = True
        self._next = 0                            # the first row of the chunks no one has taken yet
        self._error: ModelError | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._finished = threading.Event()        # every output is in, or the model failed
        self._thread = threading.Thread(target=self._run, name="glimpse-outputs", daemon=True)
        if self._have.all():
            self._finished.set()

    def start(self) -> "BackgroundOutputs":
        self.module.eval()
        _running.add(self)
        self._thread.start()
        return self

    def _run(self) -> None:
        lowest_priority()
        self._work()

    def _work(self) -> None:
        """Take chunks no one has taken, in order, and compute them until none is left."""
        while not self._stop.is_set() and self._error is None:
            with self._lock:
                i = self._next
                if i >= len(self.X):
                    return
                self._next = i + self.chunk
                j = min(i + self.chunk, len(self.X))
                todo = np.flatnonzero(~self._have[i:j]) + i
            if not self._compute(todo):
                return

    def _compute(self, ids: np.ndarray) -> bool:
        """Run the model on the rows ids and keep their outputs; False if it failed."""
        try:
            if len(ids):
                self._store(ids, self._forward(ids))
            return True
        except Exception as e:  # noqa: BLE001 - the caller's model: any failure becomes one message
            self._fail(e)
            return False

    def _fail(self, e: Exception) -> None:
        if not isinstance(e, ModelError):
            log.exception("the model failed on its samples")
            e = ModelError(f"The model failed while running over its samples ({type(e).__name__}: {e}).")
        with self._lock:
            self._error = self._error or e
        log.warning("the model failed on its samples: %s", e)
        self._finished.set()

    def _forward(self, ids: np.ndarray) -> np.ndarray:
        """Outputs for the rows ids (ascending); a ModelError names the first bad sample."""
        try:
            with torch.inference_mode():
                out = run_batch(self.module, self.X[ids], self.X.shape[1:])
        except ModelError as e:
            where = f"sample {int(ids[0])}" if len(ids) == 1 else f"samples {int(ids[0])}..{int(ids[-1])}"
            raise ModelError(f"{e} (On {where}.)") from None
        bad = ~np.isfinite(out).all(axis=1)
        if bad.any():
            raise ModelError(f"The model returns NaN or infinite values for sample {int(ids[bad][0])} "
                             f"({int(bad.sum())} of samples {int(ids[0])}..{int(ids[-1])}).")
        return out

    def _store(self, ids: np.ndarray, values: np.ndarray) -> None:
        with self._lock:
            self._out[ids] = values
            self._have[ids] = True
            if self._have.all():
                self._finished.set()

    # ---------------------------------------------------------------- asking
    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def status(self) -> dict:
        """{"done", "total", "error"}: samples whose outputs are in, of all; the failure, if any."""
        with self._lock:
            done = int(self._have.sum())
        return {"done": done, "total": len(self.X), "error": None if self._error is None else str(self._error)}

    def rows(self, ids) -> np.ndarray:
        """Outputs for the samples ids, running the model now on those not computed yet."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        with self._lock:
            missing = np.unique(ids[~self._have[ids]])
        if len(missing):
            self._store(missing, self._forward(missing))
        with self._lock:
            return self._out[ids].copy()

    def result(self, timeout: float | None = None) -> np.ndarray:
        """Every output, computing here and now the chunks the thread has not reached (and
        the one it is on: at its low priority it may be slow to finish it); the ModelError if
        the model failed on some."""
        self._work()
        with self._lock:
            left = np.flatnonzero(~self._have)
        for k in range(0, len(left), self.chunk):
            if self._error is not None or not self._compute(left[k:k + self.chunk]):
                break
        if not self._finished.wait(timeout):
            raise TimeoutError("the model's outputs are still being computed")
        if self._error is not None:
            raise self._error
        return self._out

    def stop(self, timeout: float | None = 30) -> None:
        """Stop after the chunk running now; wait for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._finished.set()          # no one waits for the thread any more: result() computes what is left


def lowest_priority() -> None:
    """This thread (and the threads it starts) at the lowest CPU priority, where the OS
    allows it (Linux: a thread's nice value is its own)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):     # not Linux, or not allowed: it runs at normal priority
        pass


@atexit.register
def _stop_all() -> None:
    """A daemon thread still inside torch while the interpreter exits aborts the process
    ('terminate called without an active exception'): stop them first."""
    for job in list(_running):
        job.stop()
