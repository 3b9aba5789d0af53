"""Trained models on disk: state_dict (loaded with weights_only=True) + metadata JSON."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from torch import nn


def content_hash(model: nn.Module) -> str:
    """A hash of every parameter and buffer: retraining or replacing a model changes it."""
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


class ModelStore:
    """One folder per stored model, keyed by a string the caller derives (spec + data)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _dir(self, key: str) -> Path:
        return self.root / key

    def has(self, key: str) -> bool:
        d = self._dir(key)
        return (d / "weights.pt").exists() and (d / "meta.json").exists()

    def save(self, key: str, model: nn.Module, meta: dict) -> None:
        d = self._dir(key)
        d.mkdir(parents=True, exist_ok=True)
        tmp_w, tmp_m = d / f".weights.{os.getpid()}.tmp", d / f".meta.{os.getpid()}.tmp"
        torch.save(model.state_dict(), tmp_w)
        tmp_m.write_text(json.dumps(meta, indent=2, sort_keys=True))
        tmp_w.replace(d / "weights.pt")  # weights first: meta's presence marks completion
        tmp_m.replace(d / "meta.json")

    def load(self, key: str, model: nn.Module) -> dict:
        """Fill `model` with the stored weights; return the metadata."""
        d = self._dir(key)
        state = torch.load(d / "weights.pt", map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        model.eval()
        return json.loads((d / "meta.json").read_text())
