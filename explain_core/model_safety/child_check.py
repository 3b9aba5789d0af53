"""The first forward of an uploaded model, in a fresh process with memory and time limits.

The child is a new interpreter (`python -I`, exec'd at once), never a fork of this process:
a fork of a process that already ran torch hangs in OpenMP (docs: RECIPES). It is not a
multiprocessing 'spawn' child either, because spawn re-imports the parent's __main__
(app.py would build a whole service). It costs about 1.5 s (a Python start and
`import torch`), paid once per upload. The wall-time limit starts when the child says it
is ready, so a slow start on a busy machine is not blamed on the model.
"""
from __future__ import annotations

import io
import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ..errors import ModelFileError
from .limits import ModelLimits

CHILD = Path(__file__).with_name("_forward_child.py")
START_S = 120          # python + import torch, on a machine that may be busy
THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def first_forward(archive: bytes, x: np.ndarray, limits: ModelLimits | None = None, kind: str = "torchscript",
                  batch: tuple = (1, None)) -> dict:
    """Run the checked archive on the samples `x` in a child; its report (see _forward_child.py).
    kind "pt2": a clean torch.export archive taking `batch` (fewest, most or None) rows at a time.

    Raises ModelFileError when the model passes a limit or kills the child."""
    limits = limits or ModelLimits.from_env()
    payload = io.BytesIO()
    np.savez(payload, archive=np.frombuffer(archive, np.uint8), x=np.ascontiguousarray(x), kind=np.array(kind),
             batch=np.array([batch[0], batch[1] or 0], np.int64))
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR")} | THREAD_ENV
    proc = subprocess.Popen([sys.executable, "-I", str(CHILD), repr(float(limits.check_mb)),
                             repr(float(limits.check_s))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=env, cwd="/")
    lines = _Lines(proc.stdout)
    try:
        try:
            proc.stdin.write(payload.getvalue())
            proc.stdin.close()
        except BrokenPipeError:
            pass                                   # reported below as a child that died
        if lines.next(START_S) != "ready":
            raise _died(proc, lines, limits, ready=False)
        reply = lines.next(limits.check_s)
        if reply is None:
            raise _died(proc, lines, limits, ready=True)
        report = _parse(reply)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        lines.selector.close()
        proc.stdout.close()
    if report.get("memory"):
        raise ModelFileError(f"The model used more than {limits.setting('check_mb')} of memory on two "
                             "samples.")
    return report


def _died(proc: subprocess.Popen, lines: "_Lines", limits: ModelLimits, ready: bool) -> ModelFileError:
    timed_out = not lines.eof          # at end of file the child has exited (or is exiting)
    try:
        proc.wait(timeout=0 if timed_out else 10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    code = proc.returncode
    how = f"signal {-code}" if code < 0 else f"exit code {code}"
    if not ready:   # python or torch did not start: not the model's doing
        why = f"did not start within {START_S} s (the server is busy)" if timed_out else f"failed to start ({how})"
        return ModelFileError(f"Glimpse could not check the model: the checking process {why}. Try again.")
    if timed_out:
        return ModelFileError(f"The model did not answer within {limits.setting('check_s')} on two samples.")
    return ModelFileError(f"The model stopped the checking process ({how}) on two samples; it may have "
                          f"needed more than {limits.setting('check_mb')} of memory.")


def _parse(reply: str) -> dict:
    try:
        report = json.loads(reply)
    except ValueError:
        report = None
    if not isinstance(report, dict):
        raise ModelFileError("The model's check gave no readable answer on two samples.")
    return report


class _Lines:
    """Lines from a pipe, each awaited with a deadline."""

    def __init__(self, pipe):
        self.fd, self.buffer, self.eof = pipe.fileno(), b"", False
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.fd, selectors.EVENT_READ)

    def next(self, timeout_s: float) -> str | None:
        """The next line, or None at end of file or when `timeout_s` passes first."""
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                self.eof = True
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode("utf-8", errors="replace")
