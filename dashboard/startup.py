"""Loading (on first start: training) the default models in a background thread, so the
server answers at once and the page can show progress instead of a blank wait."""
from __future__ import annotations

import logging
import os
import threading

from explain_core.errors import GlimpseError
from explain_core.models.zoo import spec_kind

log = logging.getLogger("glimpse.startup")


def list_default_samples(service) -> None:
    """The default model's sample table (its predictions for every sample): the first page
    needs it, and computing it here overlaps with the browser loading the page's scripts.
    A large data set's predictions still coming in the background are not waited for: the
    first page needs only its own (sample_labels)."""
    from .selection import default_model

    service.sample_labels(default_model(service))


def warm_default_view(service) -> None:
    """The explanation the default page opens on, computed while the page is still busy
    starting (a request for it meanwhile waits for this one; explain() computes once)."""
    from .samples import first_held_out
    from .selection import default_model
    from .tabs.gradients import DEFAULT_METHOD

    model = default_model(service)
    service.explain(model, first_held_out(service, model), DEFAULT_METHOD)


class Startup:
    """Runs service.ensure_models(progress) once per process and keeps a small status.
    `before_ready` run after the models load and before the page is shown; `after_ready`
    run in the same background thread once it is (their errors are logged, not shown:
    the page computes the same on demand)."""

    def __init__(self, service, before_ready=(list_default_samples,), after_ready=(warm_default_view,)):
        self.service = service
        self.before_ready = tuple(before_ready)
        self.after_ready = tuple(after_ready)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        # done: the loader thread has finished everything it does (the warm-up and the other
        # models load after `ready`); until then this process is still growing
        self._status = {"ready": False, "done": False, "error": None, "fraction": 0.0, "message": "Starting…"}

    def start(self) -> "Startup":
        """Start the loader unless it runs (or ran) in this process. Safe to call often:
        a process forked by a server (gunicorn) starts its own if the parent's was not done."""
        with self._lock:
            if self._status["ready"] or (self._thread is not None and self._pid == os.getpid()):
                return self
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="glimpse-startup", daemon=True)
            self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self._status["ready"]

    def status(self) -> dict:
        with self._lock:
            return dict(self._status)

    def _set(self, **kw) -> None:
        with self._lock:
            self._status.update(kw)

    def _run(self) -> None:
        try:
            self._load()
        finally:
            self._set(done=True)

    def _load(self) -> None:
        """Warm start (the default model is stored): load it, show the page, then load the
        other models behind it (a model chosen before its turn loads on demand). First
        start: train every default model with progress, then show the page."""
        from .selection import DEFAULT_MODEL

        specs = list(getattr(self.service, "specs", {}))
        first = [DEFAULT_MODEL] if DEFAULT_MODEL in specs else specs[:1]
        rest = [m for m in specs if m not in first]
        try:
            quick = bool(first) and self.service.models_stored(first)
            self._set(message="Loading models…" if quick else "Training the default models (first start only)…")
            self.service.ensure_models(self._progress, model_ids=first if quick else None)
        except GlimpseError as e:
            self._set(error=str(e), message=str(e))
            return
        except Exception as e:  # a bug, but the page must still say something
            log.exception("loading the default models failed")
            self._set(error=f"Could not load the default models ({type(e).__name__}: {e}). See the server log.",
                      message="Start-up failed")
            return
        self._set(fraction=1.0, message="Listing the samples…")
        self._hooks(self.before_ready)
        self._set(ready=True, fraction=1.0, message="Ready")
        self._hooks(self.after_ready)
        if quick and rest:
            try:
                self.service.ensure_models(None, model_ids=rest)
            except Exception:  # noqa: BLE001 - the page loads (and reports) a model when it is chosen
                log.exception("loading the other default models failed")

    def _hooks(self, hooks) -> None:
        for hook in hooks:
            try:
                hook(self.service)
            except Exception:  # noqa: BLE001 - a warm-up only; the page asks again and shows any error
                log.exception("start-up step %s failed", getattr(hook, "__name__", hook))

    def _progress(self, p: dict) -> None:
        self._set(fraction=progress_fraction(p, self._costs()), message=progress_message(p, self._titles()))

    def _titles(self) -> dict:
        return {mid: spec.title for mid, spec in getattr(self.service, "specs", {}).items()}

    def _costs(self) -> list[float]:
        """Rough training cost per default model, in order: image models take most of the time."""
        specs = getattr(self.service, "specs", {}).values()
        return [IMAGE_COST if spec_kind(spec) == "image" else 1.0 for spec in specs]


IMAGE_COST = 6.0   # an MNIST model trains about six times as long as a tabular one here


def progress_fraction(p: dict, costs: list[float] | None = None) -> float:
    """Overall fraction done from a service progress report (model i of n, epoch e of E),
    each model weighted by its rough cost when costs are given."""
    total = max(int(p.get("total") or 1), 1)
    costs = list(costs) if costs and len(costs) == total else [1.0] * total
    i = min(int(p.get("index") or 0), total)
    done = sum(costs[:i])
    if i < total and p.get("stage") == "training" and p.get("epochs"):
        done += costs[i] * float(p.get("epoch", 0)) / float(p["epochs"])
    return min(done / sum(costs), 1.0)


def progress_message(p: dict, titles: dict | None = None) -> str:
    mid = p.get("model_id")
    name = (titles or {}).get(mid, mid)
    if p.get("stage") == "ready":
        return "Ready"
    step = f"model {int(p.get('index', 0)) + 1} of {p.get('total', '?')}"
    if p.get("stage") == "training":
        acc = p.get("accuracy")
        acc = f", training accuracy {100 * acc:.1f}%" if isinstance(acc, (int, float)) else ""
        return f"Training {name} ({step}): epoch {p.get('epoch')}/{p.get('epochs')}{acc}"
    return f"Loading {name} ({step})…"
