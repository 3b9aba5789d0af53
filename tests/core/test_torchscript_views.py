"""TorchScript models seen layer by layer (models/script_view.py): a forward that only calls
its layers in turn is run from Python, so activations, weights and Grad-CAM are the eager
model's; a forward that does more keeps its inner layers hidden, and the page says why."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from explain_core import ExplanationService, Settings
from explain_core.errors import ParameterError
from explain_core.methods.base import has_hooks
from explain_core.models.script_view import ScriptView, script_view
from tests.model_files import script_bytes


def sequential_cnn() -> nn.Sequential:
    torch.manual_seed(1)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.ReLU()), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(8 * 7 * 7, 10)).eval()


class Skip(nn.Module):
    """A residual block: its forward adds, so its convolution's output cannot be watched."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return x + self.conv(x)


class Closed(nn.Module):
    """A forward with functional calls between its layers: nothing inside can be watched."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 28 * 28, 10)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


@pytest.fixture(scope="module")
def svc(settings, tmp_path_factory) -> ExplanationService:
    root = tmp_path_factory.mktemp("ts-views")
    return ExplanationService(Settings(model_store=root / "m", cache_dir=settings.cache_dir, cache_type="simple"),
                              specs=())


@pytest.mark.parametrize("how", ["script", "trace"])
def test_a_scripted_sequential_cnn_shows_activations_weights_and_gradcam(svc, how):
    eager = sequential_cnn()
    content = script_bytes(eager, torch.zeros(1, 1, 28, 28) if how == "trace" else None)
    mid = svc.add_model_file(content, input_shape=(1, 28, 28), title=f"seq ({how})")
    ref = svc.add_model(eager, svc.dataset("image"), title="eager", model_id=f"eager-seq-{how}")
    info = svc.model_info(mid)
    assert [n for n, _ in info.layers] == ["0", "1", "2", "3.0", "3.1", "4", "5", "6"]
    assert info.conv_layers == ("0", "3.0") and info.notes == svc.model_info(ref).notes
    acts, want = svc.explain(mid, 4, "activations"), svc.explain(ref, 4, "activations")
    assert [a.name for a in acts.layers] == [a.name for a in want.layers]
    for a, b in zip(acts.layers, want.layers):
        assert a.kind == b.kind
        np.testing.assert_allclose(a.values, b.values, atol=1e-6)
    weights = svc.explain(mid, 4, "weights")
    assert [w.name for w in weights.layers] == ["0", "3.0", "6"]
    np.testing.assert_array_equal(weights.layers[1].weights, eager[3][0].weight.detach().numpy())
    for layer in ("0", "3.0"):
        np.testing.assert_allclose(svc.explain(mid, 4, "gradcam", layer=layer).attribution,
                                   svc.explain(ref, 4, "gradcam", layer=layer).attribution, atol=1e-6)
    assert not has_hooks(svc.torch_model(mid))


def test_layers_inside_a_forward_that_does_more_are_hidden_and_the_card_says_why(svc):
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), Skip(), nn.Flatten(),
                          nn.Linear(4 * 28 * 28, 10)).eval()
    view = script_view(torch.jit.load(_buffer(script_bytes(model))))
    assert isinstance(view, ScriptView) and view.is_chain and not getattr(view, "2").is_chain
    mid = svc.add_model_file(script_bytes(model), input_shape=(1, 28, 28))
    info = svc.model_info(mid)
    assert [n for n, _ in info.layers] == ["0", "1", "3", "4"]       # 2.conv runs inside Skip's forward
    assert info.conv_layers == ("0",)
    assert any("2 (Skip)" in n and "cannot be watched" in n for n in info.notes)
    assert [w.name for w in svc.explain(mid, 0, "weights").layers] == ["0", "2.conv", "4"]   # weights are shown
    with pytest.raises(ParameterError, match="Unknown convolution layer '2.conv'"):
        svc.explain(mid, 0, "gradcam", layer="2.conv")


def test_a_forward_that_hides_every_layer_gets_a_message_not_an_empty_view(svc):
    eager = Closed().eval()
    mid = svc.add_model_file(script_bytes(eager), input_shape=(1, 28, 28))
    info = svc.model_info(mid)
    assert info.layers == () and info.conv_layers == ()
    for method in ("activations", "gradcam"):
        with pytest.raises(ParameterError, match="does more than call its layers one after another"):
            svc.explain(mid, 0, method)
    assert [w.name for w in svc.explain(mid, 0, "weights").layers] == ["conv", "fc"]
    got = svc.explain(mid, 0, "integrated_gradients")                 # gradient maps work as before
    ref = svc.add_model(eager, svc.dataset("image"), title="closed", model_id="eager-closed")
    np.testing.assert_allclose(got.attribution, svc.explain(ref, 0, "integrated_gradients").attribution,
                               rtol=1e-4, atol=1e-6)


def _buffer(content: bytes):
    import io
    return io.BytesIO(content)
