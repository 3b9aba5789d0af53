"""A model's content hash as its weights are now, at the cost of a glance per request.

Cache keys name the model by a hash of its weights. A notebook user may change them in
place after the model is shown (fine-tuning, nn.init, load_state_dict), and an old key
would then serve the old result. content_hash reads every weight (milliseconds for a
large model), too slow to take on each request. PyTorch counts in-place writes to every
tensor (`_version`: optimiser steps, `with torch.no_grad(): w.mul_(2)`, nn.init,
load_state_dict, a BatchNorm training step through its batch counter), and a replaced
parameter has a new storage address: so the hash is taken again only when (address,
version) of some parameter or buffer changed. About 2 µs per tensor (a 140-tensor ResNet: ~0.25 ms).

Not seen: writes through `.data` (`w.data.fill_(0)`), which PyTorch keeps out of the
version counter by design; forget(module) makes the next look hash it again.
"""
from __future__ import annotations

import itertools
import threading
import weakref

from torch import nn

from .store import content_hash


def weights_state(module: nn.Module) -> tuple:
    """(storage address, in-place version) of every parameter and buffer, in order."""
    return tuple((t.data_ptr(), t._version) for t in itertools.chain(module.parameters(), module.buffers()))


class LiveHashes:
    """Per module: the state its hash was taken at, and that hash. Thread-safe; holds the
    modules weakly."""

    def __init__(self):
        self._lock = threading.Lock()
        self._seen: "weakref.WeakKeyDictionary[nn.Module, tuple[tuple, str]]" = weakref.WeakKeyDictionary()

    def seed(self, module: nn.Module, digest: str) -> None:
        """Record a hash just taken of `module` (at load), so the first look costs no rehash."""
        with self._lock:
            self._seen[module] = (weights_state(module), digest)

    def hash(self, module: nn.Module) -> str:
        state = weights_state(module)
        with self._lock:
            seen = self._seen.get(module)
        if seen is not None and seen[0] == state:
            return seen[1]
        digest = content_hash(module)
        with self._lock:
            self._seen[module] = (state, digest)
        return digest

    def forget(self, module: nn.Module) -> None:
        with self._lock:
            self._seen.pop(module, None)
