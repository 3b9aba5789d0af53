"""A TorchScript model seen layer by layer, as far as its compiled code allows.

TorchScript refuses Python hooks (`register_forward_hook is not supported on
ScriptModules`), and a scripted forward calls its submodules inside compiled code where no
hook could see them anyway. But many forwards only call their layers one after another
(every nn.Sequential; a CNN whose forward is `fc2(relu3(fc1(flatten(...))))`): their
graph holds nothing but `prim::GetAttr` of a submodule and `prim::CallMethod forward`
on it, each call taking the previous call's output. Such a chain can be run from Python,
one submodule at a time, with the same result; then every layer's output can be watched.

`script_view(module)` mirrors the module tree with plain nn.Modules (`ScriptView`) that
hold the same parameter and buffer objects under the same names (so weights, state_dict
and content hashes are those of the file) and carry the class each layer was built as
(`glimpse_type`, from TorchScript's original_name). A chain's view runs its children's
views in order; any other view runs its compiled forward as a whole, and the layers
inside it are marked `glimpse_hidden` (their weights are shown, their outputs cannot be).
"""
from __future__ import annotations

import torch
from torch import nn

from .views import adopt


class ScriptView(nn.Module):
    """One TorchScript (sub)module, called from Python so that hooks on it fire."""

    def __init__(self, script: torch.jit.ScriptModule, hidden: bool = False):
        super().__init__()
        object.__setattr__(self, "_script", script)       # not a registered submodule
        self.glimpse_type = str(getattr(script, "original_name", "") or "ScriptModule")
        self.glimpse_hidden = hidden
        self._calls = chain_calls(script)                  # None: not a chain
        inner_hidden = hidden or self._calls is None
        adopt(self, script, lambda child: ScriptView(child, hidden=inner_hidden))

    def forward(self, x):
        if self._calls is None:
            return self._script(x)
        for name in self._calls:
            x = self._modules[name](x)
        return x

    @property
    def is_chain(self) -> bool:
        return self._calls is not None


def script_view(script: torch.jit.ScriptModule) -> ScriptView:
    view = ScriptView(script)
    view.glimpse_notes = _notes(view)
    return view.eval()


def chain_calls(script: torch.jit.ScriptModule) -> list[str] | None:
    """The submodule names a forward calls in turn, when that is all the forward does."""
    try:
        graph = script.graph
    except (AttributeError, RuntimeError):
        return None
    inputs = list(graph.inputs())
    if len(inputs) != 2:
        return None
    this, current = inputs
    children: dict = {}
    calls: list[str] = []
    for node in graph.nodes():
        kind = node.kind()
        if kind == "prim::GetAttr":
            (owner,) = node.inputs()
            name = node.s("name")
            if owner is not this or not isinstance(getattr(script, name, None), torch.jit.ScriptModule):
                return None
            children[node.output()] = name
        elif kind == "prim::CallMethod" and node.s("name") == "forward":
            module, *args = node.inputs()
            if module not in children or args != [current] or len(current.uses()) != 1:
                return None
            calls.append(children[module])
            current = node.output()
        else:
            return None
    outputs = list(graph.outputs())
    if not calls or outputs != [current]:
        return None
    return calls


def _notes(view: ScriptView) -> tuple[str, ...]:
    closed = [f"{name} ({m.glimpse_type})" if name else "the whole model" for name, m in view.named_modules()
              if isinstance(m, ScriptView) and not m.is_chain and not m.glimpse_hidden and len(m._modules)]
    if not closed:
        return ()
    return (f"TorchScript: the forward of {', '.join(closed)} does more than call its layers one after another, "
            "so the layers inside run in compiled code where their outputs cannot be watched: their weights "
            "are shown, their activations and Grad-CAM are not.",)
