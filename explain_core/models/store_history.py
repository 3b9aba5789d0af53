"""A TrainingHistory on disk beside its model's weights: history.npz (the arrays, read
with allow_pickle=False) and history.json (names and settings, written last: its
presence marks a complete history)."""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from .history import HISTORY_VERSION, LayerSeries, TrainingHistory

log = logging.getLogger(__name__)
ARRAYS = ("edges", "counts", "beyond", "lo", "hi")


def save_history(folder: Path, h: TrainingHistory) -> None:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"epochs": h.epochs}
    arrays.update({f"metric_{i}": v for i, v in enumerate(h.metrics.values())})
    for i, s in enumerate(h.series):
        arrays.update({f"series_{i}_{a}": getattr(s, a) for a in ARRAYS})
        arrays[f"series_{i}_epochs"] = h.epochs if s.epochs is None else s.epochs
    meta = {"version": HISTORY_VERSION, "metrics": list(h.metrics), "series": [[s.layer, s.kind] for s in h.series],
            "task": h.task, "weights_hash": h.weights_hash, "fixed_rows": h.fixed_rows, "train_rows": h.train_rows,
            "record_seconds": h.record_seconds, "layers": [list(v) for v in h.layers]}
    tmp_a, tmp_m = folder / f".history.{os.getpid()}.tmp.npz", folder / f".history.{os.getpid()}.tmp"
    np.savez_compressed(tmp_a, **arrays)
    tmp_m.write_text(json.dumps(meta, indent=1))
    tmp_a.replace(folder / "history.npz")
    tmp_m.replace(folder / "history.json")


def load_history(folder: Path) -> TrainingHistory | None:
    """The stored history, or None when there is none (or it cannot be read: logged)."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / "history.json").read_text())
        with np.load(folder / "history.npz", allow_pickle=False) as z:
            metrics = {k: z[f"metric_{i}"] for i, k in enumerate(meta["metrics"])}
            epochs = z["epochs"]
            series = tuple(LayerSeries(layer, kind, *(z[f"series_{i}_{a}"] for a in ARRAYS),
                                       z[f"series_{i}_epochs"] if f"series_{i}_epochs" in z.files else epochs)
                           for i, (layer, kind) in enumerate(meta["series"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("The training history in %s cannot be read: %s", folder, e)
        return None
    return TrainingHistory(epochs, metrics, series, meta["task"], meta["weights_hash"], int(meta["fixed_rows"]),
                           int(meta["train_rows"]), float(meta["record_seconds"]),
                           tuple(tuple(v) for v in meta["layers"]))
