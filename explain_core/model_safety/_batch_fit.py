"""A torch.export program whose batch size was fixed (or bounded) at export, run on any
batch: rows in chunks it takes, a short chunk padded with copies of its last row (whose
outputs are dropped). Models in eval mode treat rows independently, so each row's output
and gradients are those of the row alone.

Imports only torch: the checking child (_forward_child.py, which imports nothing from
explain_core) loads this file by its path, so it runs the program exactly as the server will.
"""
import torch
from torch.export.unflatten import UnflattenedModule


class FittedBatch(UnflattenedModule):
    """An UnflattenedModule (made one by fit_batches) whose forward fits any batch to
    glimpse_batch = (fewest rows, most rows or None)."""

    glimpse_batch = (1, None)

    def forward(self, *args, **kwargs):
        (x,) = args
        lo, hi = self.glimpse_batch
        outs = []
        for chunk in x.split(max(1, hi or len(x))):
            n = len(chunk)
            if n < lo:
                chunk = torch.cat([chunk, chunk[-1:].expand(lo - n, *chunk.shape[1:])])
            outs.append(super().forward(chunk)[:n])
        return torch.cat(outs)


def fit_batches(module: UnflattenedModule, lo: int, hi) -> UnflattenedModule:
    """`module` itself, now taking any batch (nothing changes when any batch fits already)."""
    if (lo, hi) != (1, None):
        module.__class__ = FittedBatch
        module.glimpse_batch = (int(lo), None if hi is None else int(hi))
    return module
