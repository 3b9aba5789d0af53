"""Interleaved timing: every contender runs on the same sample back to back.

For each repetition and sample the contenders run in a rotating order (A B C, B C A,
C A B, ...), so a burst of load from other processes hits all of them alike and
position in the round does not favour anyone. One warm-up call per contender is run
first and not recorded. Ratios are the median over rounds of ours / peer measured in
the same round, which cancels slow drifts of the machine's load.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np


def interleaved(calls: dict[str, Callable[[int], Any]], items: list[int], reps: int,
                warmup: int = 1) -> tuple[dict[str, np.ndarray], dict[str, dict[int, Any]]]:
    """-> (seconds per call, shape (reps, len(items)), per contender;
           first repetition's output per contender and item)."""
    names = list(calls)
    for _ in range(warmup):
        for name in names:
            calls[name](items[0])
    times = {n: np.zeros((reps, len(items))) for n in names}
    outputs: dict[str, dict[int, Any]] = {n: {} for n in names}
    for r in range(reps):
        for j, item in enumerate(items):
            shift = (r * len(items) + j) % len(names)
            for name in names[shift:] + names[:shift]:
                t0 = time.perf_counter()
                out = calls[name](item)
                times[name][r, j] = time.perf_counter() - t0
                if r == 0:
                    outputs[name][item] = out
    return times, outputs


def summary(seconds: np.ndarray) -> dict:
    ms = np.asarray(seconds).ravel() * 1000
    return {"median": float(np.median(ms)), "p90": float(np.percentile(ms, 90)), "n": int(ms.size)}


def paired_ratio(ours: np.ndarray, peer: np.ndarray) -> float:
    return float(np.median(np.asarray(ours).ravel() / np.asarray(peer).ravel()))
