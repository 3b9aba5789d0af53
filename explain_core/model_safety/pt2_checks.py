"""Plain values of an uploaded torch.export program, checked: names that are Python
identifiers, dotted weight paths, numbers, tensor descriptions (dtype, dense layout, sizes
and strides whose shape expressions pt2_expr.py allows), devices. Shared by pt2_graph.py
(the graph) and pt2_signature.py (inputs, outputs, modules); each refusal is a
ModelFileError that says what in the file is wrong.
"""
from __future__ import annotations

import keyword
import re

from torch._export.serde.schema import ScalarType

from ..errors import ModelFileError
from .pt2_expr import check_expression

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}\Z")
PATH = re.compile(r"[A-Za-z0-9_]{1,200}(?:\.[A-Za-z0-9_]{1,200}){0,50}\Z")
PLAIN_ARGS = {"as_none": (bool,), "as_int": (int,), "as_float": (int, float, str), "as_bool": (bool,),
              "as_scalar_type": (int,), "as_memory_format": (int,), "as_layout": (int,)}
FLOATS = ("Infinity", "-Infinity", "NaN")
DTYPES = frozenset(int(t) for t in ScalarType if t != ScalarType.UNKNOWN)
STRIDED = 7
RESERVED = frozenset({"self", "torch", "inf", "nan", "device", "fx_pytree", "pytree", "math", "operator",
                      "NoneType", "_operator", "getattr", "isinstance", "print", "slice", "range", "tuple", "list",
                      "dict", "bool", "int", "float", "type", "len", "builtins"})   # names generated code reads


def refused(why: str) -> ModelFileError:
    return ModelFileError(f"Glimpse does not load this model file: {why}.")


def need(ok, why: str) -> None:
    if not ok:
        raise refused(why)


def field(d: dict, key: str, kind: type):
    value = d.get(key) if isinstance(d, dict) else None
    need(isinstance(value, kind), f"its program is malformed ({key})")
    return value


def named(graph: dict, key: str):
    values = graph.get(key) or {}
    need(isinstance(values, dict), f"its program is malformed ({key})")
    for name, value in values.items():
        need(identifier(name), f"it names a value {name[:40]!r}, which is not a Python identifier")
        yield name, value


def identifier(name) -> bool:
    """A name the generated Python code may use as a variable (torch.fx never writes keywords,
    builtins or the names its code refers to as variables: a file that does is crafted)."""
    return isinstance(name, str) and bool(NAME.match(name)) and not keyword.iskeyword(name) \
        and not name.startswith("__") and name not in RESERVED


def plain(value, kinds: tuple) -> bool:
    if isinstance(value, bool) and bool not in kinds:
        return False
    if isinstance(value, str):
        return value in FLOATS and str in kinds
    return isinstance(value, kinds)


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def tensor_name(value, names: set[str], where: str) -> None:
    need(isinstance(value, dict) and set(value) == {"name"} and identifier(value["name"]),
         f"{where} names a tensor that is not a Python identifier")
    names.add(value["name"])


def tensor_meta(meta, where: str) -> dict:
    need(isinstance(meta, dict), f"{where} is malformed")
    need(meta.get("dtype") in DTYPES, f"{where} has an unknown data type")
    need(meta.get("layout") == STRIDED, f"{where} is not a dense tensor (sparse and other layouts are not loaded)")
    need(isinstance(meta.get("requires_grad"), bool), f"{where} is malformed")
    device(meta.get("device"), where)
    sizes = field(meta, "sizes", list)
    strides = field(meta, "strides", list)
    need(len(sizes) == len(strides) <= 16, f"{where} has a malformed shape")
    return {"dtype": meta["dtype"], "sizes": [sym_value(s, "as_int", where) for s in sizes],
            "requires_grad": meta["requires_grad"], "device": meta["device"],
            "strides": [sym_value(s, "as_int", where) for s in strides],
            "storage_offset": sym_value(meta.get("storage_offset"), "as_int", where), "layout": STRIDED}


def sym_value(value, literal: str, where: str) -> dict:
    need(isinstance(value, dict) and len(value) == 1, f"{where} has a malformed size")
    if literal in value:
        need(plain(value[literal], PLAIN_ARGS[literal]), f"{where} has a malformed size")
        return value
    expr = value.get("as_expr")
    need(isinstance(expr, dict), f"{where} has a malformed size")
    check_expression(expr.get("expr_str"), where)
    hint = expr.get("hint")
    need(hint is None or (isinstance(hint, dict) and len(hint) == 1 and all(
        k in ("as_int", "as_bool", "as_float") and plain(v, PLAIN_ARGS[k]) for k, v in hint.items())),
        f"{where} has a malformed size hint")
    return {"as_expr": {"expr_str": expr["expr_str"], "hint": hint}}


def device(value, where: str) -> None:
    need(isinstance(value, dict) and isinstance(value.get("type"), str) and re.fullmatch(r"[a-z]{1,20}", value["type"])
         and (value.get("index") is None or is_int(value.get("index"))), f"{where} names a malformed device")


def torch_version() -> str:
    import torch
    return torch.__version__
