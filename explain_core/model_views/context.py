"""What a model-level analysis gets: the model, its data and the shared held-out pass."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torch import nn

from ..data.dataset import Dataset
from .held_out import HeldOutPass


@dataclass(frozen=True)
class ModelContext:
    model_id: str
    model: nn.Module            # the served module: read it, never change it (copy to prune)
    explained: nn.Module        # one score per class (models/heads.py)
    data: Dataset
    head: object                # models.heads.Head: task, output
    hash: str                   # the model's content hash now
    seed: int
    source: str                 # 'builtin', 'csv', 'torchscript', 'python', ...
    store: object               # models.store.ModelStore (what was stored with the model)
    _held_out: Callable[[bool], HeldOutPass]
    hook_lock: object           # hold it while hooks sit on `model`

    def held_out(self, train: bool = False) -> HeldOutPass:
        """The held-out pass (train=True: up to 2,000 training rows), computed once per hash."""
        return self._held_out(train)
