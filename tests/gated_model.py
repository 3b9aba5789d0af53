"""A linear model whose background pass over the samples (the thread 'glimpse-outputs',
explain_core/models/background_outputs.py) waits at a gate: a test decides when that pass
may go on, so it can prove the page was served without it."""
from __future__ import annotations

import threading

import numpy as np
import torch
from torch import nn


class Gated(nn.Module):
    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        torch.manual_seed(0)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(n_in, n_out)
        self.gate = threading.Event()
        self.background_calls = 0

    def forward(self, x):
        if threading.current_thread().name == "glimpse-outputs":
            self.background_calls += 1
            self.gate.wait(60)
        return self.fc(self.flatten(x))

    def reference(self, X) -> np.ndarray:
        """The outputs for X, without the gate."""
        with torch.no_grad():
            return self.fc(self.flatten(torch.as_tensor(X))).numpy()
