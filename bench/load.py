"""A bounded load test through the page's own callback requests.

    python -m bench load [--users 20] [--seconds 60] [--threads 4] [--floods 1] [--think 0.1,0.5]
                         [--url http://127.0.0.1:8050] [--model-store DIR]
                         [--out bench/results/load.json]

Without --url it starts its own redis-server (when installed; else a filesystem cache)
and `gunicorn app:server -w 2 --threads N` on free loopback ports, over the model store
(default: GLIMPSE_MODEL_STORE or ./.glimpse/models; a store without models trains them).

Every user is a thread with its own cookie session that POSTs /_dash-update-component
with the bodies the page sends when a thumbnail is clicked on the gradient-maps tab
(integrated gradients or saliency) or on the LIME tab:
  cached    a click on one of the samples every user viewed in the warm-up
  uncached  a click on a sample nobody viewed yet (a cheap gradient map computed now)
  flood     a user (--floods of them) sending LIME at its maximum, 20,000 perturbed
            samples, back to back
Users wait 0.1-0.5 s between clicks (--think). Reported: requests, HTTP errors (>= 500, other
>= 400, no answer), answers that carry a message instead of a figure, and p50/p95/max of
each kind.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import requests

from bench.chrome import free_port
from bench.dash_requests import GRADIENT_PARAMS, Page

ROOT = Path(__file__).resolve().parent.parent
MODEL = "mnist-cnn"
FLOOD_SAMPLES = 20000
WARM_SAMPLES = tuple(range(4000, 4012))        # the cached clicks: viewed once before timing starts
TARGETS_MS = {"cached": 300, "uncached": 1000}


# ---------------------------------------------------------------------- the users
@dataclass
class Tally:
    times: dict = field(default_factory=lambda: {"cached": [], "uncached": [], "flood": []})
    errors: dict = field(default_factory=lambda: {"5xx": 0, "4xx": 0, "no_answer": 0})
    messages: list = field(default_factory=list)     # answers with an error alert instead of a figure
    statuses: dict = field(default_factory=dict)
    answered: list = field(default_factory=list)       # (time.monotonic() at the answer, status)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, status: int | None, text: str) -> None:
        with self.lock:
            self.answered.append((time.monotonic(), status))
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
            if status is None:
                self.errors["no_answer"] += 1
            elif status >= 500:
                self.errors["5xx"] += 1
            elif status >= 400:
                self.errors["4xx"] += 1
            else:
                self.times[kind].append(seconds)
                if "alert alert-error" in text:      # an error instead of a figure (a warning
                    self.messages.append(text[:300])   # beside one, e.g. LIME's bad fit, is not)


def click(session: requests.Session, url: str, body: dict, timeout: float = 60) -> tuple[float, int | None, str]:
    t = time.perf_counter()
    try:
        r = session.post(url + "/_dash-update-component", json=body, timeout=timeout)
        return time.perf_counter() - t, r.status_code, r.text
    except requests.RequestException as e:
        return time.perf_counter() - t, None, repr(e)


def page_of(url: str) -> Page:
    return Page.fetch(lambda path: requests.get(url + path, timeout=30).json())


def _user(url: str, page: Page, user: int, stop: threading.Event, tally: Tally, rng: random.Random,
          think: tuple[float, float]) -> None:
    session = requests.Session()
    fresh = iter(range(100 + user * 150, 250 + user * 150))      # this user's never-viewed samples
    while not stop.is_set():
        if rng.random() < 0.5:
            kind, body = "cached", page.gradient(MODEL, rng.choice(WARM_SAMPLES), "integrated_gradients")
        else:
            sample = next(fresh, None)
            if sample is None:
                break
            kind, body = "uncached", page.gradient(MODEL, sample, rng.choice(tuple(GRADIENT_PARAMS)))
        tally.add(kind, *click(session, url, body))
        stop.wait(rng.uniform(*think))


def _flooder(url: str, page: Page, stop: threading.Event, tally: Tally, sample: int) -> None:
    session = requests.Session()
    while not stop.is_set():
        tally.add("flood", *click(session, url, page.lime(MODEL, sample, FLOOD_SAMPLES), timeout=120))
        sample += 1


def warm_up(url: str, samples=WARM_SAMPLES, rounds: int = 6) -> None:
    """Every warm sample's map computed and cached (several rounds reach every worker)."""
    page = page_of(url)
    for _ in range(rounds):
        with requests.Session() as s:
            for i in samples:
                click(s, url, page.gradient(MODEL, i, "integrated_gradients"))


def summary(tally: Tally, seconds: float) -> dict:
    def stats(v):
        if not v:
            return {"n": 0}
        a = np.asarray(v) * 1000
        return {"n": len(v), "p50_ms": float(np.percentile(a, 50)), "p95_ms": float(np.percentile(a, 95)),
                "max_ms": float(a.max())}
    return {"seconds": seconds, "requests": sum(tally.statuses.values()), "statuses": tally.statuses,
            "errors": dict(tally.errors), "error_count": sum(tally.errors.values()),
            "messages": len(tally.messages), "message_examples": tally.messages[:3],
            **{kind: stats(v) for kind, v in tally.times.items()}}


def run_load(url: str, users: int = 20, seconds: float = 60, flood: int = 1, seed: int = 0,
             during=None, tally: Tally | None = None, think: tuple[float, float] = (0.1, 0.5)) -> dict:
    """Drive `users` users (`flood` of them flooding LIME) for `seconds`; `during`
    (optional) runs in the calling thread while they do, e.g. to stop Redis for a while;
    every answer is also recorded in `tally` when one is given."""
    stop, tally, page = threading.Event(), tally or Tally(), page_of(url)
    threads = [threading.Thread(target=_user, args=(url, page, u, stop, tally, random.Random(seed + u), think),
                                daemon=True)
               for u in range(users - int(flood))]
    threads += [threading.Thread(target=_flooder, args=(url, page, stop, tally, 3100 + 300 * f), daemon=True)
                for f in range(int(flood))]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    if during is not None:
        during()
    stop.wait(max(0.0, seconds - (time.perf_counter() - t0)))
    stop.set()
    for t in threads:
        t.join(130)
    return summary(tally, time.perf_counter() - t0)


# ---------------------------------------------------------------------- a server of its own
def _wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).json().get("ready"):
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout:.0f} s")


def start_servers(workers: int, threads: int, model_store: str | None, folder: Path) -> tuple[str, list, str]:
    """(url, processes, cache kind): redis-server when installed, and gunicorn."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), GLIMPSE_CACHE_DIR=str(folder / "cache"))
    if model_store:
        env["GLIMPSE_MODEL_STORE"] = model_store
    procs = []
    if shutil.which("redis-server"):
        port = free_port()
        procs.append(subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no"], stdout=subprocess.DEVNULL, cwd=folder))
        env.update(GLIMPSE_CACHE_TYPE="redis", GLIMPSE_CACHE_URL=f"redis://127.0.0.1:{port}/0")
    else:
        env["GLIMPSE_CACHE_TYPE"] = "filesystem"
    port = free_port()
    log = open(folder / "gunicorn.log", "ab")
    procs.append(subprocess.Popen([sys.executable, "-m", "gunicorn", "app:server", "-b", f"127.0.0.1:{port}",
                                   "-w", str(workers), "--threads", str(threads), "--timeout", "120"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    url = f"http://127.0.0.1:{port}"
    _wait_http(url + "/_glimpse/health", procs[-1], 600)
    return url, procs, env["GLIMPSE_CACHE_TYPE"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench load", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4, help="gunicorn --threads (1: sync workers)")
    p.add_argument("--floods", type=int, default=1, help="users flooding LIME (0: none)")
    p.add_argument("--think", default="0.1,0.5", help="seconds a user waits between clicks: min,max")
    p.add_argument("--url", help="a running server instead of starting one")
    p.add_argument("--model-store")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.json")
    args = p.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="glimpse-load-"))
    procs, cache = [], "as configured"
    try:
        url = args.url
        if url is None:
            url, procs, cache = start_servers(args.workers, args.threads, args.model_store, folder)
        warm_up(url)
        think = tuple(float(v) for v in args.think.split(","))
        result = run_load(url, args.users, args.seconds, flood=args.floods, think=think)
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(30)
        shutil.rmtree(folder, ignore_errors=True)
    result.update(users=args.users, workers=args.workers, threads=args.threads, flood_users=args.floods,
                  think_s=args.think, cache=cache, targets_ms=TARGETS_MS, load_average=os.getloadavg())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    ok = (result["error_count"] == 0 and result["cached"].get("p95_ms", 0) <= TARGETS_MS["cached"]
          and result["uncached"].get("p95_ms", 0) <= TARGETS_MS["uncached"])
    print("targets met" if ok else "targets NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
