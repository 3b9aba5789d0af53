"""Model files for the tests: small networks exported with torch.export (.pt2) or TorchScript,
and tools to rewrite one entry of an archive (the crafted files of the safety tests)."""
from __future__ import annotations

import io
import json
import zipfile

import torch
from torch import nn


class ResidualCNN(nn.Module):
    """BatchNorm, a skip connection and functional calls in forward, on 1×28×28 digits."""

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(4)
        self.fc = nn.Linear(8 * 4 * 4, n_classes)

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = h + self.block(h)
        return self.fc(torch.flatten(self.pool(h), 1))


def residual_cnn(seed: int = 0) -> ResidualCNN:
    """Random weights and BatchNorm statistics that are not the identity, in eval mode."""
    torch.manual_seed(seed)
    model = ResidualCNN()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
    return model.eval()


def pt2_bytes(model: nn.Module, shape=(1, 28, 28), dynamic: bool = True, batch: int = 2) -> bytes:
    """torch.export.save of `model` (eval mode) with a dynamic batch dimension, or a fixed one."""
    model.eval()
    example = torch.zeros(batch, *shape)
    arg = next(iter(_forward_arg_names(model)))
    dims = {arg: {0: torch.export.Dim("batch")}} if dynamic else None
    program = torch.export.export(model, (example,), dynamic_shapes=dims)
    buf = io.BytesIO()
    torch.export.save(program, buf)
    return buf.getvalue()


def script_bytes(model: nn.Module, example: torch.Tensor | None = None) -> bytes:
    model.eval()
    scripted = torch.jit.trace(model, example) if example is not None else torch.jit.script(model)
    buf = io.BytesIO()
    torch.jit.save(scripted, buf)
    return buf.getvalue()


def entries(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def rewrite(content: bytes, changes: dict) -> bytes:
    """The archive with entries replaced: {name: bytes, or a function old bytes -> new bytes,
    or None to drop it}; names are without the top folder ('models/model.json')."""
    out = io.BytesIO()
    old = entries(content)
    root = next(iter(old)).split("/", 1)[0]
    changes = {f"{root}/{k}": v for k, v in changes.items()}
    with zipfile.ZipFile(out, "w") as z:
        for name, data in old.items():
            new = changes.pop(name, data)
            if callable(new):
                new = new(data)
            if new is not None:
                z.writestr(name, new)
        for name, data in changes.items():
            if data is not None and not callable(data):
                z.writestr(name, data)
    return out.getvalue()


def edit_json(fn):
    """A rewrite() change that edits a JSON entry in place with fn(dict) (fn returns nothing)."""
    def change(data: bytes) -> bytes:
        doc = json.loads(data)
        fn(doc)
        return json.dumps(doc).encode()
    return change


def _forward_arg_names(model: nn.Module):
    import inspect
    return list(inspect.signature(model.forward).parameters)
