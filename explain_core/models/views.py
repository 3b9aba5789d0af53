"""Modules that stand for another one (a TorchScript model seen layer by layer, a model with
its input normalisation in front): they hold the other module's parts under the same names,
so state_dict, named_modules, hooks and content hashes read as for the module itself."""
from __future__ import annotations

from typing import Callable

from torch import nn


def adopt(view: nn.Module, model: nn.Module, child: Callable[[nn.Module], nn.Module] = lambda c: c) -> None:
    """Register `model`'s own parameters, buffers and (as `child` gives them) children on `view`."""
    for name, p in model.named_parameters(recurse=False):   # a loaded TorchScript file's are plain tensors
        view.register_parameter(name, p if isinstance(p, nn.Parameter) else nn.Parameter(p, p.requires_grad))
    for name, b in model.named_buffers(recurse=False):
        view.register_buffer(name, b)
    for name, c in model.named_children():
        view.add_module(name, child(c))
