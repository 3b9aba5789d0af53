"""Holding a ComputeGate's expensive slot from a thread: how tests prove what waits behind it."""
from __future__ import annotations

import contextlib
import threading


@contextlib.contextmanager
def held_slot(gate, client: str | None, method: str = "lime"):
    """The slot held by `client` until the block ends or the yielded Event is set."""
    release, entered = threading.Event(), threading.Event()

    def hold():
        with gate.expensive(client, method):
            entered.set()
            release.wait(30)
    t = threading.Thread(target=hold, daemon=True)
    t.start()
    assert entered.wait(5), "the slot was not free"
    try:
        yield release
    finally:
        release.set()
        t.join(5)
