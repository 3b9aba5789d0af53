"""Job heartbeats: a running job says it is alive while it runs and stops when it ends."""
from __future__ import annotations

import threading
import time

from explain_core import jobs


def test_heartbeat_beats_while_the_block_runs_and_stops_after():
    beats = []
    with jobs.Heartbeat(lambda: beats.append(time.monotonic()), interval=0.1):
        time.sleep(0.65)
    during = len(beats)
    time.sleep(0.35)
    assert 5 <= during <= 9, beats
    assert len(beats) == during            # no beat after the block ended
    assert not any(t.name == "glimpse-heartbeat" and t.is_alive() for t in threading.enumerate())


def test_a_failing_beat_does_not_stop_the_work_or_the_beats():
    calls = []

    def beat():
        calls.append(1)
        raise ConnectionError("store away")
    with jobs.Heartbeat(beat, interval=0.05):
        time.sleep(0.3)
    assert len(calls) >= 4


def test_is_dead_reads_state_beat_and_owner():
    now = time.time()
    live = {"state": "running", "owner": jobs.owner(), "beat": now - 1}
    assert not jobs.is_dead(live, now)
    assert jobs.is_dead({**live, "beat": now - jobs.STALE_S - 0.5}, now)
    assert not jobs.is_dead({**live, "state": "finished", "beat": now - 999}, now)
    assert not jobs.is_dead({**live, "owner": "another-host:1"}, now)   # only the beat tells
    assert jobs.is_dead(None) is False
