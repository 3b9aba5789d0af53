"""The pruning what-if's private copy is made while another request's hook sits on the
served model (seen in the page: the robustness curve ran while pruning copied the RGB CNN)."""
import copy
import threading

import pytest
import torch
from torch import nn

from explain_core.model_views.pruning import PrivateCopies


class Recorder:
    """What an explanation's hook holds: the output of its last forward, with its graph."""

    def __init__(self):
        self.output = None

    def hook(self, _m, _i, o):
        self.output = o


def test_a_hook_holding_graph_tensors_is_neither_copied_nor_removed_from_the_served_model():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    rec = Recorder()
    net[0].register_forward_hook(rec.hook)
    x = torch.randn(5, 3, requires_grad=True)
    net(x)
    with pytest.raises(RuntimeError, match="deepcopy"):   # what plain deepcopy did
        copy.deepcopy(net)
    twin, _ = PrivateCopies().get(net, "digest", threading.Lock())
    assert not any(m._forward_hooks for m in twin.modules())
    assert len(net[0]._forward_hooks) == 1               # the served model keeps its hook
    with torch.no_grad():
        torch.testing.assert_close(twin(x), net(x))
    assert all(not p.requires_grad for p in twin.parameters())
