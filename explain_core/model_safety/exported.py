"""An uploaded torch.export (.pt2) file as a module whose layers take hooks.

1. pt2_archive.clean_pt2: limits, the allow-list of entries and operations, a rebuilt
   program; torch reads only that clean copy.
2. torch.export.load on the clean copy, then every call in the loaded graph is checked
   again (an aten operation the rules allow, or shape arithmetic).
3. torch.export.unflatten gives back the module tree of the exported model (`conv1`,
   `block.0`, ...): plain nn.Modules that run their part of the graph and take forward
   hooks, so layer activations, filter weights and Grad-CAM work as for a Python model.
   Each carries the class it was built as (`glimpse_type`, from the file's module types).
A program exported with a fixed batch size runs on any batch (_batch_fit.py).
"""
from __future__ import annotations

import io
import operator
import threading

import torch

from ..errors import ModelFileError
from ._batch_fit import fit_batches
from .limits import ModelLimits
from .operations import why_refused
from .pt2_archive import clean_pt2

SHAPE_CALLS = frozenset({operator.getitem, operator.add, operator.sub, operator.mul, operator.floordiv,
                         operator.truediv, operator.mod, operator.neg, operator.eq, operator.ne, operator.lt,
                         operator.le, operator.gt, operator.ge})
_LOADING = threading.Lock()      # torch's deserialiser keeps its state in a module global


def load_exported(content: bytes, limits: ModelLimits | None = None) -> tuple[torch.nn.Module, bytes, dict]:
    """(the module in eval mode, the clean archive, facts: input_shape, batch, n_outputs)."""
    clean, facts = clean_pt2(content, limits)
    module = module_from_clean(clean, facts)
    return module, clean, facts


def module_from_clean(clean: bytes, facts: dict) -> torch.nn.Module:
    try:
        with _LOADING:
            program = torch.export.load(io.BytesIO(clean))
    except Exception as e:  # noqa: BLE001 - torch raises many kinds for a program it cannot rebuild
        raise ModelFileError(f"Glimpse could not rebuild the exported program: {_first_line(e)}") from None
    check_calls(program.graph)
    try:
        module = torch.export.unflatten(program)
    except Exception as e:  # noqa: BLE001
        raise ModelFileError(f"Glimpse could not rebuild the exported model's layers: {_first_line(e)}") from None
    for _, m in module.named_modules():
        ty = getattr(m, "_ty", None)
        if isinstance(ty, str) and ty:
            m.glimpse_type = ty.rsplit(".", 1)[-1]
    lo, hi = facts["batch"]
    module = fit_batches(module, lo, hi)
    if (lo, hi) != (1, None):
        module.glimpse_notes = (f"torch.export: exported with a batch of {lo if lo == hi else f'{lo} to {hi}'} "
                                "rows, so Glimpse runs it that many rows at a time (slower). Export with "
                                "dynamic_shapes={'x': {0: torch.export.Dim('batch')}} to run any batch at once.",)
    return module.eval()


def check_calls(graph) -> None:
    """Every node of the loaded graph: inputs, outputs, weights, and calls of allowed aten
    operations or shape arithmetic (the file was checked as text; this checks what torch built)."""
    for node in graph.nodes:
        if node.op in ("placeholder", "output", "get_attr"):
            continue
        target = node.target
        if node.op == "call_function" and target in SHAPE_CALLS:
            continue
        if node.op == "call_function" and isinstance(target, torch._ops.OpOverload) and target.namespace == "aten":
            why = why_refused(target._schema.name)
            if why is None:
                continue
            raise ModelFileError(f"The model uses operation {target._schema.name}, which Glimpse does not run ({why}).")
        raise ModelFileError(f"The model calls {str(target)[:80]!r} ({node.op}), which is not a standard tensor "
                             "operation; Glimpse does not run it.")


def _first_line(e: Exception) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0][:300]
