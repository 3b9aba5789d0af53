"""The model's structure as a graph: layers and operations, their output shapes and
parameter counts, and the edges between them (skip connections included).

Traced from the module itself with torch.fx (every call a node, every tensor passed an
edge), shapes from one sample run through the traced graph. Where tracing fails (a
TorchScript or torch.export upload, a forward with data-dependent control flow), one
sample is watched going through instead: forward hooks on every leaf layer and a
TorchFunctionMode for the torch functions called between layers (x + f(x), torch.cat);
an input that is an earlier call's output (the same tensor object) is an edge from it.
An input made inside compiled code no hook sees is joined to the call just before.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np
import torch
import torch.fx as fx
from torch import nn
from torch.overrides import TorchFunctionMode

from ..methods.base import hooks, layer_type, watched
from .registry import register

MAX_NODES = 400      # a graph beyond this is not drawn node by node (the page says so)
OPERATORS = {operator.add: "add", operator.sub: "sub", operator.mul: "mul", operator.truediv: "div",
             operator.matmul: "matmul", operator.getitem: "getitem", operator.neg: "neg"}


@dataclass(frozen=True)
class GraphNode:
    name: str                   # unique in the graph
    op: str                     # 'input', 'layer', 'function', 'output'
    type: str                   # Conv2d, ReLU, add, flatten, Input, Output
    shape: tuple[int, ...] | None   # output shape of one sample (no batch axis); None: not a tensor
    params: int                 # parameters this node owns (a layer called twice counts once)
    layer: str = ""             # the module's qualified name for a layer node ('' otherwise)


@dataclass(frozen=True)
class ArchitectureGraph:
    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[str, str], ...]      # (from, to) by node name, in the order data flows
    skips: tuple[tuple[str, str], ...]      # the edges that jump over layers (residual connections)
    total_params: int                       # sum(p.numel()) over the model's parameters
    trainable_params: int
    traced_by: str                          # 'torch.fx' or 'hooks'
    notes: tuple[str, ...] = ()

    def node(self, name: str) -> GraphNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    @property
    def layers(self) -> tuple[str, ...]:
        return tuple(n.layer for n in self.nodes if n.op == "layer")


# ----------------------------------------------------------------------------- torch.fx
class _LeafTracer(fx.Tracer):
    """torch.fx's tracer, also stopping at any module without children (a layer loaded from
    a model file, a custom leaf) instead of tracing into its forward."""

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return super().is_leaf_module(m, qualname) or is_leaf(m)


def is_leaf(m: nn.Module) -> bool:
    """A module drawn as one node: no children, or none whose output a hook can see (a
    TorchScript submodule whose layers run inside its compiled forward)."""
    return not any(watched(c) for c in m.children())


def _shape(meta) -> tuple[int, ...] | None:
    tm = meta.get("tensor_meta")
    shape = getattr(tm, "shape", None)
    return tuple(int(v) for v in shape[1:]) if shape is not None else None


def _function_name(node: fx.Node) -> str:
    if node.op == "call_method":
        return str(node.target)
    target = node.target
    return OPERATORS.get(target) or getattr(target, "__name__", str(target)).split(".")[-1]


def trace_fx(model: nn.Module, x: torch.Tensor) -> tuple[list[GraphNode], list[tuple[str, str]]]:
    from torch.fx.passes.shape_prop import ShapeProp

    tracer = _LeafTracer()
    graph = tracer.trace(model)
    gm = fx.GraphModule(tracer.root, graph)
    with torch.no_grad():
        ShapeProp(gm).propagate(x)
    modules = dict(model.named_modules())
    counted: set[int] = set()
    nodes, edges, kept = [], [], set()
    for n in graph.nodes:
        if n.op == "get_attr":          # a weight or buffer read directly: its user shows it
            continue
        if n.op == "placeholder":
            gn = GraphNode(n.name, "input", "Input", _shape(n.meta), 0)
        elif n.op == "output":
            gn = GraphNode(n.name, "output", "Output", _output_shape(n), 0)
        elif n.op == "call_module":
            m = modules[n.target]
            gn = GraphNode(n.name, "layer", layer_type(m), _shape(n.meta), _own_params(m, counted), str(n.target))
        else:
            attrs = [a for a in n.all_input_nodes if a.op == "get_attr"]
            gn = GraphNode(n.name, "function", _function_name(n), _shape(n.meta),
                           sum(_attr_params(model, a.target, counted) for a in attrs))
        nodes.append(gn)
        kept.add(n.name)
        edges += [(a.name, n.name) for a in n.all_input_nodes if a.name in kept]
    return nodes, edges


def _output_shape(node: fx.Node) -> tuple[int, ...] | None:
    arg = node.args[0] if node.args else None
    return _shape(arg.meta) if isinstance(arg, fx.Node) else None


def _own_params(m: nn.Module, counted: set[int]) -> int:
    total = 0
    for p in m.parameters():
        if id(p) not in counted:
            counted.add(id(p))
            total += p.numel()
    return total


def _attr_params(model: nn.Module, target: str, counted: set[int]) -> int:
    try:
        p = model.get_parameter(target)
    except AttributeError:
        return 0          # a buffer (a scaler's mean), not a parameter
    if id(p) in counted:
        return 0
    counted.add(id(p))
    return p.numel()


# ----------------------------------------------------------------------------- hooks
class _Recorder(TorchFunctionMode):
    """One forward watched: leaf layers by hooks, the torch functions called between them
    (x + f(x), torch.cat, x.view) by a TorchFunctionMode. Inside a layer nothing is recorded
    (its own F.conv2d is the layer). Every output is kept alive, so no tensor id is reused."""

    def __init__(self, leaves):
        super().__init__()
        self.leaves, self.depth = leaves, 0
        self.calls: list[tuple[str, str, nn.Module | None, list, object]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if self.depth == 0 and not getattr(func, "__name__", "").startswith("__get"):
            inputs = [t for t in _tensors((args, kwargs)) if isinstance(t, torch.Tensor)]
            if inputs and isinstance(out, torch.Tensor):
                self.calls.append(("function", _fn_name(func), None, inputs, out))
        return out

    def hook_list(self):
        def pre(_m, _inputs):
            self.depth += 1

        def post(name):
            def hook(m, inputs, output):
                self.depth -= 1
                if self.depth == 0:
                    self.calls.append(("layer", name, m, [t for t in inputs if isinstance(t, torch.Tensor)], output))
            return hook
        return [h for n, m in self.leaves for h in ((m, "forward_pre", pre), (m, "forward", post(n)))]


def _tensors(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def _fn_name(func) -> str:
    name = OPERATORS.get(func) or getattr(func, "__name__", str(func))
    return {"__add__": "add", "__radd__": "add", "__mul__": "mul", "__rmul__": "mul", "__sub__": "sub",
            "__truediv__": "div", "__matmul__": "matmul", "__getitem__": "getitem"}.get(name, name.strip("_").split(".")[0])


def trace_hooks(model: nn.Module, x: torch.Tensor) -> tuple[list[GraphNode], list[tuple[str, str]]]:
    leaves = [(n, m) for n, m in model.named_modules() if n and is_leaf(m) and watched(m)]
    rec = _Recorder(leaves)
    with torch.no_grad(), hooks(rec.hook_list()), rec:
        out = model(x)
    nodes = [GraphNode("input", "input", "Input", tuple(x.shape[1:]), 0)]
    made_by, edges, counted, seen = {id(x): "input"}, [], set(), {}
    for op, name, m, inputs, output in rec.calls:
        sources = [made_by[id(t)] for t in inputs if id(t) in made_by]
        if op == "function" and not sources:
            continue                   # arithmetic on constants or weights: not part of the data's path
        seen[name] = seen.get(name, 0) + 1
        node = name if seen[name] == 1 else f"{name}_{seen[name] - 1}"
        shape = tuple(output.shape[1:]) if isinstance(output, torch.Tensor) else None
        if op == "layer":
            nodes.append(GraphNode(node, "layer", layer_type(m), shape, _own_params(m, counted), name))
        else:
            nodes.append(GraphNode(node, "function", name, shape, 0))
        edges += [(s, node) for s in dict.fromkeys(sources or [nodes[-2].name])]
        if isinstance(output, torch.Tensor):
            made_by[id(output)] = node
    out_shape = tuple(out.shape[1:]) if isinstance(out, torch.Tensor) else None
    last = made_by.get(id(out)) if isinstance(out, torch.Tensor) else None
    nodes.append(GraphNode("output", "output", "Output", out_shape, 0))
    edges.append((last or nodes[-2].name, "output"))
    return _on_the_path(nodes, edges)


def _on_the_path(nodes, edges):
    """Drop the functions whose result never reaches the output (the sum an if-statement
    tested); layers stay, used or not."""
    reaches, changed = {"output"}, True
    while changed:
        changed = False
        for a, b in edges:
            if b in reaches and a not in reaches:
                reaches.add(a)
                changed = True
    keep = {n.name for n in nodes if n.op != "function" or n.name in reaches}
    return [n for n in nodes if n.name in keep], [(a, b) for a, b in edges if a in keep and b in keep]


# ----------------------------------------------------------------------------- shared
def skip_edges(names: list[str], edges: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Edges that jump over layers: an edge whose end lies deeper (longest path from the
    input) than one step after its start. x -> f -> g -> add with x -> add: x -> add."""
    depth = {n: 0 for n in names}
    incoming: dict[str, list[str]] = {n: [] for n in names}
    for a, b in edges:
        incoming[b].append(a)
    for n in names:                       # names are in topological (call) order
        if incoming[n]:
            depth[n] = max(depth[a] for a in incoming[n]) + 1
    return [(a, b) for a, b in edges if depth[b] > depth[a] + 1]


def build_graph(model: nn.Module, x: torch.Tensor) -> ArchitectureGraph:
    """The graph of `model` run on `x` (a batch of one sample)."""
    notes: list[str] = []
    was_training = model.training
    model.eval()
    try:
        try:
            nodes, edges = trace_fx(model, x)
            traced_by = "torch.fx"
        except Exception as e:  # noqa: BLE001 - fx raises many kinds on code it cannot trace
            nodes, edges = trace_hooks(model, x)
            traced_by = "hooks"
            notes.append(f"torch.fx could not trace this model ({_first_line(e)}); the graph follows one sample "
                         "through a forward pass instead (the path this sample took).")
    finally:
        model.train(was_training)
    total = sum(p.numel() for p in model.parameters())
    shown = sum(n.params for n in nodes)
    if shown != total:
        notes.append(f"{total - shown:,} parameters belong to no layer the forward pass calls.")
    if len(nodes) > MAX_NODES:
        notes.append(f"{len(nodes):,} nodes: too many to draw one by one.")
    skips = skip_edges([n.name for n in nodes], edges)
    return ArchitectureGraph(tuple(nodes), tuple(edges), tuple(skips), int(total),
                             int(sum(p.numel() for p in model.parameters() if p.requires_grad)), traced_by,
                             tuple(notes))


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    line = (text[0] if text else type(e).__name__).split(". ")[0]
    return line if len(line) <= 120 else line[:117] + "..."


def architecture(ctx) -> ArchitectureGraph:
    """The registered view: the served model traced on its first held-out sample (shapes do
    not depend on which sample). Hooks are put on the shared module only under its lock."""
    d = ctx.data
    row = d.test_idx[0] if len(d.test_idx) else 0
    x = torch.as_tensor(np.asarray(d.X[row], dtype=np.float32)).unsqueeze(0)
    with ctx.hook_lock:
        return build_graph(ctx.model, x)


register("architecture", architecture, title="Architecture")
