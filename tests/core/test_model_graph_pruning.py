"""Issue 9, views 4 and 5: the architecture graph and the pruning what-if (engine)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from explain_core import ExplanationService
from explain_core.data.arrays import from_arrays
from explain_core.errors import ParameterError
from explain_core.model_views.architecture import build_graph
from explain_core.model_views.pruning import COPIES, forward_all, pruned
from explain_core.models.script_view import script_view
from explain_core.models.store import content_hash

@pytest.fixture(scope="module")
def service(settings):
    """The three default models these tests use, each loaded (or trained) when first asked
    for, not all nine (the session fixture's ensure_models)."""
    return ExplanationService(settings)


CNN_LAYERS = ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1", "relu3", "fc2"]


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc, self.relu, self.fc2, self.out = nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.Linear(4, 2)

    def forward(self, x):
        return self.out(x + self.fc2(self.relu(self.fc(x))))


class BranchyResidual(Residual):
    """Data-dependent control flow: torch.fx cannot trace it."""

    def forward(self, x):
        h = self.fc(x)
        if h.sum() > -1e9:
            h = self.relu(h)
        return self.out(x + self.fc2(h))


# ----------------------------------------------------------------------------- graph
def test_cnn_graph_layers_in_order_with_shapes_and_parameter_counts(service):
    g = service.model_view("mnist-cnn", "architecture")
    module = service.torch_model("mnist-cnn")
    assert g.traced_by == "torch.fx"
    assert list(g.layers) == CNN_LAYERS
    shapes = {n.layer: n.shape for n in g.nodes if n.op == "layer"}
    assert shapes["conv1"] == (16, 28, 28) and shapes["pool1"] == (16, 14, 14)
    assert shapes["conv2"] == (32, 14, 14) and shapes["pool2"] == (32, 7, 7)
    assert shapes["flatten"] == (1568,) and shapes["fc1"] == (64,) and shapes["fc2"] == (10,)
    modules = dict(module.named_modules())
    for n in g.nodes:
        if n.op == "layer":
            assert n.params == sum(p.numel() for p in modules[n.layer].parameters()), n.name
    assert g.node("conv1").params == 16 * 1 * 9 + 16 and g.node("fc1").params == 1568 * 64 + 64
    assert sum(n.params for n in g.nodes) == g.total_params == sum(p.numel() for p in module.parameters())
    # a chain: each node feeds the next, no skips
    names = [n.name for n in g.nodes]
    assert list(g.edges) == list(zip(names, names[1:])) and g.skips == ()


def test_tabular_graph_shows_the_standardisation_and_the_parameter_total(service):
    g = service.model_view("breast-cancer-mlp", "architecture")
    module = service.torch_model("breast-cancer-mlp")
    assert g.total_params == sum(p.numel() for p in module.parameters()) == sum(n.params for n in g.nodes)
    assert [n.type for n in g.nodes][:3] == ["Input", "sub", "div"]
    assert g.nodes[-2].shape == (2,) and g.nodes[-1].type == "Output"


@pytest.mark.parametrize("model, traced_by", [(Residual(), "torch.fx"), (BranchyResidual(), "hooks")])
def test_a_residual_model_shows_its_skip_edge(model, traced_by):
    g = build_graph(model, torch.ones(1, 4))
    assert g.traced_by == traced_by
    adds = [n.name for n in g.nodes if n.type == "add"]
    assert len(adds) == 1
    first = g.nodes[0].name
    assert (first, adds[0]) in g.edges and g.skips == ((first, adds[0]),)
    assert (("fc2" if traced_by == "torch.fx" else "fc2"), adds[0]) in g.edges
    assert [n.layer for n in g.nodes if n.op == "layer"] == ["fc", "relu", "fc2", "out"]
    assert g.total_params == 50 == sum(n.params for n in g.nodes)
    if traced_by == "hooks":
        assert "torch.fx could not trace" in g.notes[0]


def test_a_torchscript_model_is_drawn_from_its_layers():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.block, self.head = Residual(), nn.Linear(2, 3)

        def forward(self, x):
            return self.head(self.block(x))

    view = script_view(torch.jit.script(Net()))
    g = build_graph(view, torch.zeros(1, 4))
    # the residual block runs inside compiled code: one node of its own type and parameters
    assert [(n.layer, n.type, n.shape, n.params) for n in g.nodes if n.op == "layer"] == [
        ("block", "Residual", (2,), 50), ("head", "Linear", (3,), 9)]
    assert g.total_params == 59


def test_an_exported_program_is_drawn_with_its_skip():
    program = torch.export.export(Residual(), (torch.zeros(2, 4),), dynamic_shapes={"x": {0: torch.export.Dim("b")}})
    g = build_graph(torch.export.unflatten(program), torch.zeros(1, 4))
    assert g.traced_by == "hooks" and len(g.skips) == 1
    assert g.total_params == 50 == sum(n.params for n in g.nodes)


# ----------------------------------------------------------------------------- pruning
def test_pruning_nothing_changes_nothing(service):
    r = service.model_view("mnist-cnn", "pruning", layer="fc1", how="magnitude", k=0)
    assert r.units.size == 0 and r.flips == 0 and r.after == r.before
    np.testing.assert_array_equal(r.class_after, r.class_before)
    s = service.model_view("mnist-cnn", "pruning_sample", layer="fc1", how="hand", units=[], sample=5, target=None)
    np.testing.assert_array_equal(s.scores_after, s.scores_before)
    np.testing.assert_allclose(s.after.attribution, s.before.attribution, atol=1e-6)
    assert s.target == service.sample("mnist-cnn", 5).prediction


def test_pruning_every_unit_of_a_layer_leaves_a_constant_prediction(service):
    module = service.torch_model("mnist-cnn")
    n = module.fc1.out_features
    twin, lock = COPIES.get(module, service.weights_hash("mnist-cnn"), service._compute_lock("mnist-cnn"))
    X = service.dataset_for("mnist-cnn").X_test[:300]
    with lock, pruned(twin, {"fc1": tuple(range(n))}):
        out = forward_all(twin, X)
    np.testing.assert_allclose(out, np.broadcast_to(module.fc2.bias.detach().numpy(), out.shape), atol=1e-6)
    r = service.model_view("mnist-cnn", "pruning", layer="fc1", how="hand", units=list(range(n)))
    constant = int(module.fc2.bias.argmax())
    y = service.dataset_for("mnist-cnn").y_test
    assert r.after == pytest.approx(float(np.mean(y == constant)))
    assert r.class_after[constant] == 1.0 and np.all(np.delete(r.class_after, constant) == 0.0)


def _hand_model():
    """Hidden units: h0 = relu(a), h1 = relu(2b), h2 dead (bias -100); logits (h0, h1)."""
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))
        net[0].bias.copy_(torch.tensor([0.0, 0.0, -100.0]))
        net[2].weight.copy_(torch.tensor([[1.0, 0.0, 5.0], [0.0, 1.0, 5.0]]))
        net[2].bias.zero_()
    X = np.array([[3, 1], [1, 3], [2, -1], [-1, 2]], np.float32)
    y = np.array([0, 1, 0, 1])
    return net, from_arrays("hand-prune", X, y, ("left", "right"))


def test_a_hand_weighted_networks_pruned_accuracy_is_known_in_advance(service):
    net, data = _hand_model()
    mid = service.add_model(net, data, model_id="hand-prune-net")
    before = {k: v.clone() for k, v in net.state_dict().items()}
    digest = service.weights_hash(mid)
    # unit 0 gone: logits (0, 2 relu(b)): (3,1) -> right (wrong), the others right; 1 flip
    r = service.model_view(mid, "pruning", layer="0", how="hand", units=[0])
    assert (r.before, r.after, r.flips) == (1.0, 0.75, 1)
    assert list(r.flip_ids) == [0] and list(r.class_after) == [0.5, 1.0]
    # the smallest incoming weights: unit 0 (|1|+|0| = 1 < 2 = unit 1 < unit 2's 2)
    m = service.model_view(mid, "pruning", layer="0", how="magnitude", k=1)
    assert list(m.units) == [0] and m.after == 0.75
    np.testing.assert_allclose(m.magnitude, [1.0, 2.0, 2.0])
    # the least active on held-out rows: the dead unit 2, whose removal changes nothing
    a = service.model_view(mid, "pruning", layer="0", how="activity", k=1)
    assert list(a.units) == [2] and a.after == 1.0 and a.flips == 0 and a.activity[2] == 0.0
    # unit 1 gone: logits (relu(a), 0): (1,3) -> left (wrong), (-1,2) -> tie -> left (wrong)
    assert service.model_view(mid, "pruning", layer="0", how="hand", units=[1]).after == 0.5
    # the served model never changed
    for k, v in net.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)
    assert service.weights_hash(mid) == digest == content_hash(net)


def test_the_served_model_is_unchanged_after_pruning(service):
    module = service.torch_model("mnist-cnn")
    state = {k: v.clone() for k, v in module.state_dict().items()}
    digest = service.weights_hash("mnist-cnn")
    service.model_view("mnist-cnn", "pruning", layer="conv2", how="magnitude", k=16)
    service.model_view("mnist-cnn", "pruning_sample", layer="conv2", how="magnitude", k=16, sample=0, target=3)
    for k, v in module.state_dict().items():
        torch.testing.assert_close(v, state[k], rtol=0, atol=0)
    assert content_hash(module) == digest == service.weights_hash("mnist-cnn")
    assert not any(m._forward_hooks for m in module.modules())


def test_regression_pruning_reports_r2_and_mae(service):
    r = service.model_view("diabetes-mlp", "pruning", layer="fc1", how="magnitude", k=0)
    assert r.metric == "R²" and r.after == r.before and r.mae_after == r.mae_before and r.mean_change == 0.0
    r = service.model_view("diabetes-mlp", "pruning", layer="fc1", how="hand", units=list(range(16)))
    assert r.after < r.before


@pytest.mark.parametrize("params, message", [
    ({"layer": "nope"}, "cannot be pruned"),
    ({"layer": "fc2"}, "cannot be pruned"),               # the output layer
    ({"layer": "fc1", "how": "random"}, "how must be one of"),
    ({"layer": "fc1", "k": 65}, "k must be between 0 and 64"),
    ({"layer": "fc1", "k": 2.5}, "whole number"),
    ({"layer": "fc1", "k": "3"}, "whole number"),
    ({"layer": "fc1", "how": "hand", "units": [64]}, "not one of this layer's units 0..63"),
    ({"layer": "fc1", "how": "hand", "units": "0,1"}, "list of unit numbers"),
    ({"layer": "fc1", "how": "hand", "units": [True]}, "not one of this layer's units"),
    ({"layer": "fc1", "colour": 1}, "Pruning takes"),
])
def test_bad_pruning_requests_are_named(service, params, message):
    with pytest.raises(ParameterError, match=message):
        service.model_view("mnist-cnn", "pruning", **params)


def test_bad_sample_requests_are_named(service):
    with pytest.raises(ParameterError, match="Unknown sample"):
        service.model_view("mnist-cnn", "pruning_sample", layer="fc1", sample=10**9, target=None)
    with pytest.raises(ParameterError, match="target must be between 0 and 9"):
        service.model_view("mnist-cnn", "pruning_sample", layer="fc1", sample=0, target=10)
