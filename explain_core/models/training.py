"""Deterministic CPU training with a progress callback."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class TrainProgress:
    epoch: int
    epochs: int
    loss: float
    train_accuracy: float


ProgressFn = Callable[[TrainProgress], None]


def predict_logits(model: nn.Module, X: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(X), batch_size):
            out.append(model(torch.as_tensor(X[i:i + batch_size])).float().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    if len(X) == 0:
        return float("nan")
    return float((predict_logits(model, X).argmax(1) == y).mean())


def random_shift(x: torch.Tensor, k: int, gen: torch.Generator) -> torch.Tensor:
    """Translate each image by integer offsets in [-k, k], filling with zeros."""
    n, _, h, w = x.shape
    d = torch.randint(-k, k + 1, (n, 2), generator=gen).float()
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    theta[:, 0, 2] = -2 * d[:, 0] / w
    theta[:, 1, 2] = -2 * d[:, 1] / h
    grid = torch.nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    return torch.nn.functional.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def train(model: nn.Module, X: np.ndarray, y: np.ndarray, *, epochs: int = 8, lr: float = 1e-3,
          batch_size: int = 64, weight_decay: float = 0.0, cosine: bool = False, shift: int = 0, seed: int = 0,
          loss: str = "cross_entropy", l1: float = 0.0, progress: ProgressFn | None = None,
          on_epoch: Callable[[nn.Module, TrainProgress], None] | None = None) -> nn.Module:
    """Adam; same seed, same weights (on one machine and torch build).

    loss: 'cross_entropy' (one logit per class), 'bce' (one logit for two classes, y in
    {0, 1}) or 'mse' (regression, on the target divided by its standard deviation, so the
    learning rate means the same whatever the target's units).
    cosine=True anneals the learning rate to zero over the run, which makes the final
    accuracy far less sensitive to the seed than a constant rate.
    l1 > 0: a proximal L1 step on the first Linear layer's weights after every update
    (soft-thresholding by lr·l1): inputs the data does not need get exactly zero weight.
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float32))
    yt = torch.as_tensor(np.asarray(y, dtype=np.int64 if loss == "cross_entropy" else np.float32))
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = _loss(loss, yt)
    first = next((m for m in model.modules() if isinstance(m, nn.Linear)), None) if l1 > 0 else None
    n = len(Xt)
    steps = epochs * ((n + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1)) if cosine else None
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=gen)
        total, correct = 0.0, 0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            xb, yb = Xt[idx], yt[idx]
            if shift and xb.dim() == 4:
                xb = random_shift(xb, shift, gen)
            opt.zero_grad()
            logits = model(xb)
            batch_loss = loss_fn(logits, yb)
            batch_loss.backward()
            step_lr = opt.param_groups[0]["lr"]
            opt.step()
            if first is not None:
                with torch.no_grad():
                    w = first.weight
                    w.copy_(w.sign() * (w.abs() - step_lr * l1).clamp(min=0))
            if sched is not None:
                sched.step()
            total += float(batch_loss.detach()) * len(idx)
            correct += _hits(loss, logits.detach(), yb)
        done = TrainProgress(epoch, epochs, total / n, correct / n)
        if on_epoch is not None:
            on_epoch(model, done)
        if progress is not None:
            progress(done)
    model.eval()
    return model


def _loss(name: str, y: torch.Tensor):
    if name == "cross_entropy":
        return nn.CrossEntropyLoss()
    if name == "bce":
        bce = nn.BCEWithLogitsLoss()
        return lambda out, yb: bce(out.reshape(-1), yb)
    if name == "mse":
        scale = float(y.std()) if len(y) > 1 and float(y.std()) > 1e-12 else 1.0
        return lambda out, yb: (((out.reshape(-1) - yb) / scale) ** 2).mean()
    raise ValueError(f"unknown loss {name!r}")


def _hits(loss: str, out: torch.Tensor, y: torch.Tensor) -> float:
    """Right answers in a batch; NaN for regression (it has no accuracy)."""
    if loss == "cross_entropy":
        return int((out.argmax(1) == y).sum())
    if loss == "bce":
        return int(((out.reshape(-1) > 0) == (y > 0.5)).sum())
    return float("nan")
