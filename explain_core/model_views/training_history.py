"""Training history (issue 9 view 2): what Glimpse recorded while it trained the model
(models/history.py), read back from the model store. A model trained elsewhere (an
uploaded file, glimpse.show) has no history: its final state stands in, one 'epoch' of
histograms from the layer statistics (layer_stats.py), and the result says so."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..models.history import LayerSeries, TrainingHistory
from ..models.store_history import load_history
from . import register
from .layer_stats import layer_stats

KINDS = ("weights", "biases", "activations", "gradients")


@dataclass(frozen=True)
class HistoryView:
    history: TrainingHistory
    recorded: bool          # False: final state only (no epochs, no curves)
    note: str               # what the page says about where this comes from


def find_history(store, model_id: str, digest: str) -> tuple[TrainingHistory | None, bool]:
    """The stored history whose final weights are `digest`, and whether any history for
    this model id was found (its weights then changed since training)."""
    root = Path(store.root)
    if not model_id or "/" in model_id or "\\" in model_id or model_id.startswith("."):
        return None, False      # not a name a stored model has (and never a path)
    folders = [root / "uploads" / model_id] + sorted(root.glob(f"{_glob_safe(model_id)}-*"))
    seen = False
    for folder in folders:
        if not (folder / "history.json").is_file() or not folder.name.startswith(model_id):
            continue
        h = load_history(folder)
        if h is None:
            continue
        seen = True
        if h.weights_hash == digest:
            return h, True
    return None, seen


def _glob_safe(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in text)


def final_state(ctx) -> TrainingHistory:
    """The current weights, biases, activations and gradients as a one-epoch history."""
    stats = layer_stats(ctx)
    series = []
    for s in stats.layers:
        for kind in KINDS:
            h = getattr(s, kind)
            if h is not None:
                lo, hi = np.array([h.edges[0]]), np.array([h.edges[-1]])
                series.append(LayerSeries(s.name, kind, h.edges, h.counts[None, :], np.zeros(1, np.int64), lo, hi))
    return TrainingHistory(np.zeros(0, np.int64), {}, tuple(series), ctx.head.task, ctx.hash,
                           stats.grad_rows, 0, 0.0, tuple((s.name, s.type) for s in stats.layers))


def training_history(ctx) -> HistoryView:
    found, seen = find_history(ctx.store, ctx.model_id, ctx.hash)
    if found is not None:
        return HistoryView(found, True, f"Recorded while Glimpse trained this model ({len(found.epochs)} epochs).")
    if seen:
        why = ("Its weights changed after training (they are not the ones the recorded history ends with), so "
               "the history no longer describes it.")
    elif ctx.source in ("builtin", "csv"):
        why = "It was trained before Glimpse recorded training histories (train it again to get one)."
    else:
        why = "It was trained outside Glimpse (an uploaded model file or a model given from Python)."
    return HistoryView(final_state(ctx), False,
                       f"No training history: {why} Shown: the final state only, one histogram per layer.")


register("training-history", training_history, title="Training history")
