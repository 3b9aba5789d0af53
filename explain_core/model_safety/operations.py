"""Which TorchScript operations an uploaded model may run.

Every function the archive compiled (each module's methods, hooks, helper functions,
script classes' methods) is walked, blocks of prim::If / prim::Loop included, before the
first forward. Allowed: `aten::` tensor and scalar operations minus a deny-list, and the
`prim::` operations plain models compile to. Anything else (another namespace such as
`quantized::` or `prims::`, prim::Print, prim::fork, a custom C++ class) is refused with
its name and the reason.
"""
from __future__ import annotations

import re

from ..errors import ModelFileError

DENIED_ATEN = {
    "aten::from_file": "reads files",
    "aten::save": "writes files",
    "aten::_print": "prints to the server's output",
    "aten::warn": "prints to the server's output",
    "aten::wait": "waits on parallel work",
    "aten::manual_seed": "changes the server's random state",
    "aten::seed": "changes the server's random state",
    "aten::set_": "replaces a tensor's memory",
    "aten::set_data": "replaces a tensor's memory",
    "aten::record_stream": "manages device memory",
}
DENIED_ATEN_PATTERN = (re.compile(r"file|^_?load|save|socket|thread|rpc|c10d"),
                       "reaches files, processes or the network")

ALLOWED_PRIM = frozenset("prim::" + name for name in """
    Constant If Loop GetAttr SetAttr ListConstruct ListUnpack TupleConstruct TupleUnpack TupleIndex
    TupleSlice DictConstruct DictIndex unchecked_cast unchecked_unwrap_optional Uninitialized
    RaiseException NumToTensor ImplicitTensorToNum isinstance min max abs index rangelist tolist
    StringIndex EnumName EnumValue dtype device layout data requires_grad grad name itemsize nbytes
    is_cpu is_cuda is_sparse is_sparse_csr is_quantized is_nested is_meta is_mkldnn
    CallFunction CallMethod CreateObject Enter Exit ModuleContainerIndex
""".split())
PRIM_REASONS = {
    "prim::Print": "prints to the server's output",
    "prim::fork": "starts parallel work", "prim::awaitable": "starts parallel work",
    "prim::rpc_sync": "reaches the network", "prim::rpc_async": "reaches the network",
    "prim::rpc_remote": "reaches the network", "prim::PythonOp": "calls Python",
    "prim::id": "reveals memory addresses", "prim::TimePoint": "reads the clock",
}


def check_operations(functions) -> None:
    """Refuse the model if any compiled function uses an operation outside the allow-list."""
    for fn in functions:
        graph = fn.graph
        for value in graph.inputs():
            _check_type(value, fn.qualified_name)
        _check_block(graph, fn.qualified_name)


def why_refused(kind: str) -> str | None:
    """None when `kind` may run; else what it does, as a message says it."""
    namespace = kind.split("::", 1)[0]
    if namespace == "aten":
        if kind in DENIED_ATEN:
            return DENIED_ATEN[kind]
        pattern, reason = DENIED_ATEN_PATTERN
        return reason if pattern.search(kind[len("aten::"):]) else None
    if namespace == "prim":
        return None if kind in ALLOWED_PRIM else PRIM_REASONS.get(kind, "is not on Glimpse's list of "
                                                                       "model operations")
    return f"is not a standard tensor operation (the {namespace} library)"


def _check_block(block, where: str) -> None:
    for node in block.nodes():
        why = why_refused(node.kind())
        if why:
            raise ModelFileError(f"The model uses operation {node.kind()}, which Glimpse does not run "
                                 f"({why}); found in {where}.")
        for value in (*node.inputs(), *node.outputs()):
            _check_type(value, where)
        for sub in node.blocks():
            _check_block(sub, where)


def _check_type(value, where: str) -> None:
    type_name = str(value.type())
    if "torch.classes" in type_name:
        raise ModelFileError(f"The model uses the custom C++ class {type_name}, which "
                             f"Glimpse does not run (only standard tensor operations); found in {where}.")
