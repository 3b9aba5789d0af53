"""The trained models and held-out samples every benchmark shares."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explain_core import ExplanationService, Settings


@dataclass
class Bench:
    """One model and the samples it is benchmarked on (targets: the model's predictions)."""

    model_id: str
    model: nn.Module
    X: np.ndarray            # (n, *input_shape) float32, held-out samples
    targets: np.ndarray      # (n,) int64
    X_train: np.ndarray
    ids: np.ndarray          # sample ids in the data set

    @property
    def kind(self) -> str:
        return "image" if self.X.ndim == 4 else "tabular"


def make_service(service: ExplanationService | None = None) -> ExplanationService:
    """The caller's service, or one from the environment (trains missing models once)."""
    return service if service is not None else ExplanationService(Settings.from_env())


def held_out(service: ExplanationService, model_id: str, n: int) -> Bench:
    data = service.dataset_for(model_id)
    model = service.torch_model(model_id).eval()
    ids = np.asarray(data.test_idx[:n])
    X = np.ascontiguousarray(data.X[ids], dtype=np.float32)
    with torch.no_grad():
        targets = model(torch.as_tensor(X)).argmax(1).numpy().astype(np.int64)
    return Bench(model_id, model, X, targets, data.X_train, ids)
