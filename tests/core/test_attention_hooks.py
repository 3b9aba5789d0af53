"""Attention's recording hooks go through methods.base.hooks (the one place hooks are put on
the shared model: thread-filtered, removed on every exit path), like every other hooked method."""
from __future__ import annotations

import inspect
import threading

import torch

from explain_core.methods import attention, base


def test_attention_registers_its_hooks_only_through_base_hooks(service, monkeypatch):
    module = service.torch_model("mnist-vit")
    callers = []
    real = torch.nn.Module.register_forward_hook

    def spy(self, *a, **kw):
        frame = inspect.stack()[1]
        callers.append((frame.filename, frame.function))
        return real(self, *a, **kw)
    monkeypatch.setattr(torch.nn.Module, "register_forward_hook", spy)
    x = service._model("mnist-vit").data.X[3]
    maps = attention.AttentionWeights(module).explain(x)
    assert maps.weights.shape[0] == len(maps.layers) > 0
    assert callers and all(f == base.__file__ and fn == "hooks" for f, fn in callers), callers
    assert not base.has_hooks(module)


def test_forward_kwargs_hooks_see_only_their_own_threads_forwards():
    layer = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    seen = []
    x = torch.zeros(1, 3, 8)
    with base.hooks([(layer, "forward_kwargs", lambda m, args, kwargs, out: seen.append(kwargs))]):
        other = threading.Thread(target=lambda: layer(x, x, x, need_weights=False))
        other.start()
        other.join(10)
        assert seen == []
        layer(x, x, x, need_weights=False)
        assert seen == [{"need_weights": False}]
    assert not base.has_hooks(layer)
