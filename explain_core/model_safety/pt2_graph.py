"""The program (models/model.json) of an uploaded torch.export file, checked and rewritten
before torch reads it.

torch.export.load trusts the file: it resolves a node's target by walking attributes from
the `torch` module (a target "torch.serialization.os.system" would be os.system), hands
shape expressions to sympy (which evaluates them as Python), compiles the program's
`guards_code` into a function, and writes node names and metadata into the Python source
of the GraphModule it builds. So this module rebuilds the program from what it checked,
field by field, and drops every field it does not need:

- every node calls an aten operation that the TorchScript rules allow (operations.py), or
  one of a few shape-arithmetic operators; training-mode dropout and batch norm are refused;
- every name is a Python identifier, every parameter path dotted identifiers, every shape
  expression plain arithmetic on size symbols (pt2_expr.py), every argument a plain value
  or a reference to a tensor or size;
- the forward takes one tensor and returns one tensor, mutates nothing, holds no custom
  objects; only the batch dimension may be dynamic;
- guards_code, stack traces, custom metadata and sample inputs are left out; of the node
  metadata only the module paths survive (torch.export.unflatten groups nodes by them).
"""
from __future__ import annotations

import re

from torch._export.serde.schema import SCHEMA_VERSION

from .operations import why_refused
from .pt2_checks import (NAME, PLAIN_ARGS, device, field, identifier, is_int, named, need, plain, refused, sym_value,
                         tensor_meta, tensor_name, torch_version)
from .pt2_expr import check_symbol
from .pt2_signature import clean_call_graph, clean_signature, facts

ATEN = re.compile(r"torch\.ops\.aten\.([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\Z")
TEXT = re.compile(r"[A-Za-z0-9_ .:+-]{0,100}\Z")
STACK_ITEM = re.compile(r"([A-Za-z0-9_.@]{1,300}),([A-Za-z0-9_.]{0,300}),([A-Za-z0-9_.<>]{1,300})\Z")
SHAPE_OPERATORS = frozenset("_operator." + n for n in
                            "getitem add sub mul floordiv truediv mod neg eq ne lt le gt ge".split())
TRAINING_FLAGS = {"dropout": "train", "feature_dropout": "train", "alpha_dropout": "train",
                  "feature_alpha_dropout": "train", "batch_norm": "training", "native_batch_norm": "training",
                  "_native_batch_norm_legit_no_training": None, "_native_batch_norm_legit": "training"}
LIST_ARGS = {"as_ints": (int,), "as_floats": (int, float, str), "as_bools": (bool,)}
SYM_ARGS = {"as_sym_int": "as_int", "as_sym_float": "as_float", "as_sym_bool": "as_bool"}
VERIFIERS = frozenset({"", "ATEN", "TRAINING"})
MAX_LIST = 10_000


def clean_program(program) -> tuple[dict, dict]:
    """(the program rebuilt from its checked fields, facts: input_shape, batch, n_outputs)."""
    need(isinstance(program, dict), "its program (models/model.json) is not a JSON object")
    gm = field(program, "graph_module", dict)
    version = field(program, "schema_version", dict)
    if version.get("major") != SCHEMA_VERSION[0]:
        raise refused(f"it was saved with a torch.export format {version.get('major')}.x; this server reads "
                      f"{SCHEMA_VERSION[0]}.x (PyTorch {torch_version()}). Export it again with that PyTorch")
    verifiers = field(program, "verifiers", list)
    need(all(v in VERIFIERS for v in verifiers), "it names an unknown program dialect")
    opset = field(program, "opset_version", dict)
    need(set(opset) <= {"aten"} and all(is_int(v) for v in opset.values()),
         "it uses operator sets other than aten")
    ranges = {}
    for symbol, r in field(program, "range_constraints", dict).items():
        check_symbol(symbol, "its range constraints")
        need(isinstance(r, dict) and all(r.get(k) is None or is_int(r.get(k)) for k in ("min_val", "max_val")),
             "its range constraints are not whole numbers")
        ranges[symbol] = {"min_val": r.get("min_val"), "max_val": r.get("max_val")}
    graph, names = _clean_graph(field(gm, "graph", dict))
    signature, user_input, user_output = clean_signature(field(gm, "signature", dict), names)
    clean = {
        "graph_module": {"graph": graph, "signature": signature,
                         "module_call_graph": clean_call_graph(field(gm, "module_call_graph", list)),
                         "metadata": {}, "treespec_namedtuple_fields": {}},
        "opset_version": {k: int(v) for k, v in opset.items()}, "range_constraints": ranges,
        "schema_version": {"major": int(version["major"]), "minor": int(version.get("minor") or 0)},
        "verifiers": list(verifiers), "torch_version": torch_version(), "guards_code": [],
    }
    return clean, facts(graph["tensor_values"], user_input, user_output, ranges)


# ------------------------------------------------------------------------------ graph
def _clean_graph(graph: dict) -> tuple[dict, set[str]]:
    need(not graph.get("custom_obj_values"), "it holds custom C++ objects (torchbind), which run code of their own")
    tensors = {name: tensor_meta(meta, f"tensor {name}") for name, meta in named(graph, "tensor_values")}
    names = set(tensors)
    sym = {}
    for key, kind in (("sym_int_values", "as_int"), ("sym_bool_values", "as_bool"), ("sym_float_values", "as_float")):
        sym[key] = {name: sym_value(v, kind, f"size {name}") for name, v in named(graph, key)}
        names |= set(sym[key])
    inputs = [_tensor_ref(a, names, "the program's inputs") for a in field(graph, "inputs", list)]
    nodes = [_clean_node(n, names) for n in field(graph, "nodes", list)]
    outputs = [_tensor_ref(a, names, "the program's outputs") for a in field(graph, "outputs", list)]
    single = graph.get("is_single_tensor_return", False)
    need(isinstance(single, bool), "its graph is malformed")
    return {"inputs": inputs, "outputs": outputs, "nodes": nodes, "tensor_values": tensors, **sym,
            "is_single_tensor_return": single, "custom_obj_values": {}}, names


def _clean_node(node, names: set[str]) -> dict:
    need(isinstance(node, dict), "its graph is malformed")
    target = node.get("target")
    where = f"node {str(node.get('name'))[:60]!r}"
    _check_target(target, where)
    args = []
    for given in field(node, "inputs", list):      # argument names ('self', 'input') are keywords of the op
        need(isinstance(given, dict) and NAME.match(str(given.get("name"))), f"{where} has a malformed argument")
        need(given.get("kind") in (None, 0, 1, 2), f"{where} has a malformed argument")
        args.append({"name": given["name"], "arg": _argument(given.get("arg"), names, where),
                     "kind": given.get("kind")})
    _check_training(target, args, where)
    name = node.get("name")
    need(name is None or identifier(name), f"{where} has a name that is not a Python identifier")
    outputs = [_argument(o, names, where) for o in field(node, "outputs", list)]
    single = node.get("is_hop_single_tensor_return")
    need(single is None or isinstance(single, bool), f"{where} is malformed")
    stack = _module_stack(node.get("metadata"))
    return {"target": target, "inputs": args, "outputs": outputs, "metadata": stack,
            "is_hop_single_tensor_return": single, "name": name}


def _check_target(target, where: str) -> None:
    if target in SHAPE_OPERATORS:
        return
    m = ATEN.match(target) if isinstance(target, str) else None
    if m is None:
        raise refused(f"its {where} calls {str(target)[:80]!r}; Glimpse runs only standard tensor operations "
                      "(aten), not custom or higher-order operations")
    why = why_refused(f"aten::{m[1]}")
    if why:
        raise refused(f"it uses operation aten::{m[1]}, which Glimpse does not run ({why})")


def _check_training(target: str, args: list[dict], where: str) -> None:
    m = ATEN.match(target)
    flag = TRAINING_FLAGS.get(m[1]) if m else None
    if flag and any(a["name"] == flag and a["arg"].get("as_bool") for a in args):
        raise refused(f"its {where} runs {m[1]} in training mode, so its outputs would change from run to run. "
                      "Call model.eval() before torch.export.export")


def _argument(arg, names: set[str], where: str) -> dict:
    need(isinstance(arg, dict) and len(arg) == 1, f"{where} has a malformed argument")
    ((kind, value),) = arg.items()
    if kind in PLAIN_ARGS:
        need(plain(value, PLAIN_ARGS[kind]), f"{where} has a malformed {kind} argument")
    elif kind in LIST_ARGS:
        need(isinstance(value, list) and len(value) <= MAX_LIST and all(plain(v, LIST_ARGS[kind]) for v in value),
             f"{where} has a malformed {kind} argument")
    elif kind in ("as_int_lists", "as_float_lists"):
        inner = (int,) if kind == "as_int_lists" else (int, float, str)
        need(isinstance(value, list) and len(value) <= MAX_LIST and all(
            isinstance(v, list) and len(v) <= MAX_LIST and all(plain(x, inner) for x in v) for v in value),
            f"{where} has a malformed {kind} argument")
    elif kind == "as_tensor":
        tensor_name(value, names, where)
    elif kind == "as_tensors":
        need(isinstance(value, list) and len(value) <= MAX_LIST, f"{where} has a malformed argument")
        for v in value:
            tensor_name(v, names, where)
    elif kind in ("as_optional_tensor", "as_optional_tensors"):
        for v in _items(value, kind == "as_optional_tensors", where):
            need(isinstance(v, dict) and len(v) == 1, f"{where} has a malformed argument")
            if "as_tensor" in v:
                tensor_name(v["as_tensor"], names, where)
            else:
                need(v.get("as_none") in (True, False), f"{where} has a malformed argument")
    elif kind in SYM_ARGS or kind[:-1] in SYM_ARGS:
        one = kind if kind in SYM_ARGS else kind[:-1]          # as_sym_ints: a list of as_sym_int
        for v in _items(value, one != kind, where):
            _sym_argument(v, SYM_ARGS[one], names, where)
    elif kind in ("as_string", "as_strings"):
        for v in _items(value, kind == "as_strings", where):
            need(isinstance(v, str) and TEXT.match(v), f"{where} has a text argument Glimpse does not accept")
    elif kind == "as_device":
        device(value, where)
    elif kind == "as_complex":
        need(isinstance(value, dict) and all(plain(value.get(k), (int, float, str)) for k in ("real", "imag")),
             f"{where} has a malformed argument")
    else:
        raise refused(f"its {where} takes an argument of kind {kind[:40]!r} (a graph, an operator or a custom "
                      "object), which Glimpse does not load")
    return {kind: value}


def _items(value, is_list: bool, where: str) -> list:
    """The values of an argument that is a list of them, or the one value."""
    if not is_list:
        return [value]
    need(isinstance(value, list) and len(value) <= MAX_LIST, f"{where} has a malformed list argument")
    return value


def _sym_argument(value, literal: str, names: set[str], where: str) -> None:
    need(isinstance(value, dict) and len(value) == 1, f"{where} has a malformed size argument")
    if "as_name" in value:
        need(identifier(value["as_name"]), f"{where} names a size that is not a Python identifier")
        names.add(value["as_name"])
    else:
        need(literal in value and plain(value[literal], PLAIN_ARGS[literal]), f"{where} has a malformed size")


def _tensor_ref(arg, names: set[str], where: str) -> dict:
    need(isinstance(arg, dict) and set(arg) == {"as_tensor"}, f"{where} are not all tensors")
    tensor_name(arg["as_tensor"], names, where)
    return arg


def _module_stack(metadata) -> dict:
    """Only the module paths torch.export.unflatten needs, and only when every part is plain."""
    stack = metadata.get("nn_module_stack") if isinstance(metadata, dict) else None
    if not isinstance(stack, str):
        return {}
    items = stack.split(";")
    return {"nn_module_stack": stack} if all(STACK_ITEM.match(item) for item in items) else {}
