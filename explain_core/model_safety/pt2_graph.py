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

import json
import keyword
import re

import torch.utils._pytree as pytree
from torch._export.serde.schema import SCHEMA_VERSION, ScalarType

from ..errors import ModelFileError
from .operations import why_refused
from .pt2_expr import check_expression, check_symbol

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}\Z")
PATH = re.compile(r"[A-Za-z0-9_]{1,200}(?:\.[A-Za-z0-9_]{1,200}){0,50}\Z")
ATEN = re.compile(r"torch\.ops\.aten\.([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\Z")
TEXT = re.compile(r"[A-Za-z0-9_ .:+-]{0,100}\Z")
STACK_ITEM = re.compile(r"([A-Za-z0-9_.@]{1,300}),([A-Za-z0-9_.]{0,300}),([A-Za-z0-9_.<>]{1,300})\Z")
SHAPE_OPERATORS = frozenset("_operator." + n for n in
                            "getitem add sub mul floordiv truediv mod neg eq ne lt le gt ge".split())
TRAINING_FLAGS = {"dropout": "train", "feature_dropout": "train", "alpha_dropout": "train",
                  "feature_alpha_dropout": "train", "batch_norm": "training", "native_batch_norm": "training",
                  "_native_batch_norm_legit_no_training": None, "_native_batch_norm_legit": "training"}
PLAIN_ARGS = {"as_none": (bool,), "as_int": (int,), "as_float": (int, float, str), "as_bool": (bool,),
              "as_scalar_type": (int,), "as_memory_format": (int,), "as_layout": (int,)}
LIST_ARGS = {"as_ints": (int,), "as_floats": (int, float, str), "as_bools": (bool,)}
SYM_ARGS = {"as_sym_int": "as_int", "as_sym_float": "as_float", "as_sym_bool": "as_bool"}
FLOATS = ("Infinity", "-Infinity", "NaN")
DTYPES = frozenset(int(t) for t in ScalarType if t != ScalarType.UNKNOWN)
STRIDED = 7
VERIFIERS = frozenset({"", "ATEN", "TRAINING"})
IN_SPEC = json.loads(pytree.treespec_dumps(pytree.tree_structure(((0,), {}))))
OUT_SPEC = json.loads(pytree.treespec_dumps(pytree.tree_structure(0)))
MAX_LIST = 10_000
RESERVED = frozenset({"self", "torch", "inf", "nan", "device", "fx_pytree", "pytree", "math", "operator",
                      "NoneType", "_operator", "getattr", "isinstance", "print", "slice", "range", "tuple", "list",
                      "dict", "bool", "int", "float", "type", "len", "builtins"})   # names generated code reads


def refused(why: str) -> ModelFileError:
    return ModelFileError(f"Glimpse does not load this model file: {why}.")


def clean_program(program) -> tuple[dict, dict]:
    """(the program rebuilt from its checked fields, facts: input_shape, batch, n_outputs)."""
    _need(isinstance(program, dict), "its program (models/model.json) is not a JSON object")
    gm = _field(program, "graph_module", dict)
    version = _field(program, "schema_version", dict)
    if version.get("major") != SCHEMA_VERSION[0]:
        raise refused(f"it was saved with a torch.export format {version.get('major')}.x; this server reads "
                      f"{SCHEMA_VERSION[0]}.x (PyTorch {_torch_version()}). Export it again with that PyTorch")
    verifiers = _field(program, "verifiers", list)
    _need(all(v in VERIFIERS for v in verifiers), "it names an unknown program dialect")
    opset = _field(program, "opset_version", dict)
    _need(set(opset) <= {"aten"} and all(_is_int(v) for v in opset.values()),
          "it uses operator sets other than aten")
    ranges = {}
    for symbol, r in _field(program, "range_constraints", dict).items():
        check_symbol(symbol, "its range constraints")
        _need(isinstance(r, dict) and all(r.get(k) is None or _is_int(r.get(k)) for k in ("min_val", "max_val")),
              "its range constraints are not whole numbers")
        ranges[symbol] = {"min_val": r.get("min_val"), "max_val": r.get("max_val")}
    graph, names = _clean_graph(_field(gm, "graph", dict))
    signature, user_input, user_output = _clean_signature(_field(gm, "signature", dict), names)
    clean = {
        "graph_module": {"graph": graph, "signature": signature,
                         "module_call_graph": _clean_call_graph(_field(gm, "module_call_graph", list)),
                         "metadata": {}, "treespec_namedtuple_fields": {}},
        "opset_version": {k: int(v) for k, v in opset.items()}, "range_constraints": ranges,
        "schema_version": {"major": int(version["major"]), "minor": int(version.get("minor") or 0)},
        "verifiers": list(verifiers), "torch_version": _torch_version(), "guards_code": [],
    }
    return clean, _facts(graph["tensor_values"], user_input, user_output, ranges)


# ------------------------------------------------------------------------------ graph
def _clean_graph(graph: dict) -> tuple[dict, set[str]]:
    _need(not graph.get("custom_obj_values"), "it holds custom C++ objects (torchbind), which run code of their own")
    tensors = {name: _tensor_meta(meta, f"tensor {name}") for name, meta in _named(graph, "tensor_values")}
    names = set(tensors)
    sym = {}
    for key, kind in (("sym_int_values", "as_int"), ("sym_bool_values", "as_bool"), ("sym_float_values", "as_float")):
        sym[key] = {name: _sym_value(v, kind, f"size {name}") for name, v in _named(graph, key)}
        names |= set(sym[key])
    inputs = [_tensor_ref(a, names, "the program's inputs") for a in _field(graph, "inputs", list)]
    nodes = [_clean_node(n, names) for n in _field(graph, "nodes", list)]
    outputs = [_tensor_ref(a, names, "the program's outputs") for a in _field(graph, "outputs", list)]
    single = graph.get("is_single_tensor_return", False)
    _need(isinstance(single, bool), "its graph is malformed")
    return {"inputs": inputs, "outputs": outputs, "nodes": nodes, "tensor_values": tensors, **sym,
            "is_single_tensor_return": single, "custom_obj_values": {}}, names


def _clean_node(node, names: set[str]) -> dict:
    _need(isinstance(node, dict), "its graph is malformed")
    target = node.get("target")
    where = f"node {str(node.get('name'))[:60]!r}"
    _check_target(target, where)
    args = []
    for named in _field(node, "inputs", list):
        _need(isinstance(named, dict) and NAME.match(str(named.get("name"))), f"{where} has a malformed argument")
        _need(named.get("kind") in (None, 0, 1, 2), f"{where} has a malformed argument")
        args.append({"name": named["name"], "arg": _argument(named.get("arg"), names, where), "kind": named.get("kind")})
    _check_training(target, args, where)
    name = node.get("name")
    _need(name is None or _identifier(name), f"{where} has a name that is not a Python identifier")
    outputs = [_argument(o, names, where) for o in _field(node, "outputs", list)]
    single = node.get("is_hop_single_tensor_return")
    _need(single is None or isinstance(single, bool), f"{where} is malformed")
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
    _need(isinstance(arg, dict) and len(arg) == 1, f"{where} has a malformed argument")
    ((kind, value),) = arg.items()
    if kind in PLAIN_ARGS:
        _need(_plain(value, PLAIN_ARGS[kind]), f"{where} has a malformed {kind} argument")
    elif kind in LIST_ARGS:
        _need(isinstance(value, list) and len(value) <= MAX_LIST and all(_plain(v, LIST_ARGS[kind]) for v in value),
              f"{where} has a malformed {kind} argument")
    elif kind in ("as_int_lists", "as_float_lists"):
        inner = (int,) if kind == "as_int_lists" else (int, float, str)
        _need(isinstance(value, list) and len(value) <= MAX_LIST and all(
            isinstance(v, list) and len(v) <= MAX_LIST and all(_plain(x, inner) for x in v) for v in value),
            f"{where} has a malformed {kind} argument")
    elif kind == "as_tensor":
        _tensor_name(value, names, where)
    elif kind == "as_tensors":
        _need(isinstance(value, list) and len(value) <= MAX_LIST, f"{where} has a malformed argument")
        for v in value:
            _tensor_name(v, names, where)
    elif kind in ("as_optional_tensor", "as_optional_tensors"):
        for v in _items(value, kind == "as_optional_tensors", where):
            _need(isinstance(v, dict) and len(v) == 1, f"{where} has a malformed argument")
            if "as_tensor" in v:
                _tensor_name(v["as_tensor"], names, where)
            else:
                _need(v.get("as_none") in (True, False), f"{where} has a malformed argument")
    elif kind in SYM_ARGS or kind[:-1] in SYM_ARGS:
        one = kind if kind in SYM_ARGS else kind[:-1]          # as_sym_ints: a list of as_sym_int
        for v in _items(value, one != kind, where):
            _sym_argument(v, SYM_ARGS[one], names, where)
    elif kind in ("as_string", "as_strings"):
        for v in _items(value, kind == "as_strings", where):
            _need(isinstance(v, str) and TEXT.match(v), f"{where} has a text argument Glimpse does not accept")
    elif kind == "as_device":
        _device(value, where)
    elif kind == "as_complex":
        _need(isinstance(value, dict) and all(_plain(value.get(k), (int, float, str)) for k in ("real", "imag")),
              f"{where} has a malformed argument")
    else:
        raise refused(f"its {where} takes an argument of kind {kind[:40]!r} (a graph, an operator or a custom "
                      "object), which Glimpse does not load")
    return {kind: value}


def _items(value, is_list: bool, where: str) -> list:
    """The values of an argument that is a list of them, or the one value."""
    if not is_list:
        return [value]
    _need(isinstance(value, list) and len(value) <= MAX_LIST, f"{where} has a malformed list argument")
    return value


def _sym_argument(value, literal: str, names: set[str], where: str) -> None:
    _need(isinstance(value, dict) and len(value) == 1, f"{where} has a malformed size argument")
    if "as_name" in value:
        _need(_identifier(value["as_name"]), f"{where} names a size that is not a Python identifier")
        names.add(value["as_name"])
    else:
        _need(literal in value and _plain(value[literal], PLAIN_ARGS[literal]), f"{where} has a malformed size")


def _tensor_name(value, names: set[str], where: str) -> None:
    _need(isinstance(value, dict) and set(value) == {"name"} and _identifier(value["name"]),
          f"{where} names a tensor that is not a Python identifier")
    names.add(value["name"])


def _tensor_ref(arg, names: set[str], where: str) -> dict:
    _need(isinstance(arg, dict) and set(arg) == {"as_tensor"}, f"{where} are not all tensors")
    _tensor_name(arg["as_tensor"], names, where)
    return arg


def _module_stack(metadata) -> dict:
    """Only the module paths torch.export.unflatten needs, and only when every part is plain."""
    stack = metadata.get("nn_module_stack") if isinstance(metadata, dict) else None
    if not isinstance(stack, str):
        return {}
    items = stack.split(";")
    return {"nn_module_stack": stack} if all(STACK_ITEM.match(item) for item in items) else {}


# --------------------------------------------------------------------------- values
def _tensor_meta(meta, where: str) -> dict:
    _need(isinstance(meta, dict), f"{where} is malformed")
    _need(meta.get("dtype") in DTYPES, f"{where} has an unknown data type")
    _need(meta.get("layout") == STRIDED, f"{where} is not a dense tensor (sparse and other layouts are not loaded)")
    _need(isinstance(meta.get("requires_grad"), bool), f"{where} is malformed")
    _device(meta.get("device"), where)
    sizes = _field(meta, "sizes", list)
    strides = _field(meta, "strides", list)
    _need(len(sizes) == len(strides) <= 16, f"{where} has a malformed shape")
    return {"dtype": meta["dtype"], "sizes": [_sym_value(s, "as_int", where) for s in sizes],
            "requires_grad": meta["requires_grad"], "device": meta["device"],
            "strides": [_sym_value(s, "as_int", where) for s in strides],
            "storage_offset": _sym_value(meta.get("storage_offset"), "as_int", where), "layout": STRIDED}


def _sym_value(value, literal: str, where: str) -> dict:
    _need(isinstance(value, dict) and len(value) == 1, f"{where} has a malformed size")
    if literal in value:
        _need(_plain(value[literal], PLAIN_ARGS[literal]), f"{where} has a malformed size")
        return value
    expr = value.get("as_expr")
    _need(isinstance(expr, dict), f"{where} has a malformed size")
    check_expression(expr.get("expr_str"), where)
    hint = expr.get("hint")
    _need(hint is None or (isinstance(hint, dict) and len(hint) == 1 and all(
        k in ("as_int", "as_bool", "as_float") and _plain(v, PLAIN_ARGS[k]) for k, v in hint.items())),
        f"{where} has a malformed size hint")
    return {"as_expr": {"expr_str": expr["expr_str"], "hint": hint}}


def _device(value, where: str) -> None:
    _need(isinstance(value, dict) and isinstance(value.get("type"), str) and re.fullmatch(r"[a-z]{1,20}", value["type"])
          and (value.get("index") is None or _is_int(value.get("index"))), f"{where} names a malformed device")


# ---------------------------------------------------------------- signature and calls
def _clean_signature(signature: dict, names: set[str]) -> tuple[dict, str, str]:
    specs, user_inputs = [], []
    for spec in _field(signature, "input_specs", list):
        _need(isinstance(spec, dict) and len(spec) == 1, "its signature is malformed")
        ((kind, v),) = spec.items()
        if kind == "user_input":
            _need(isinstance(v, dict) and isinstance(v.get("arg"), dict) and set(v["arg"]) == {"as_tensor"},
                  "its forward takes an input that is not a tensor; Glimpse explains models of one tensor")
            _tensor_name(v["arg"]["as_tensor"], names, "its signature")
            user_inputs.append(v["arg"]["as_tensor"]["name"])
            specs.append({"user_input": {"arg": v["arg"]}})
            continue
        path_key = {"parameter": "parameter_name", "buffer": "buffer_name",
                    "tensor_constant": "tensor_constant_name"}.get(kind)
        if path_key is None:
            raise refused(f"its forward takes a {kind.replace('_', ' ')} input (custom objects, effect tokens "
                          "and constant inputs are not loaded); Glimpse explains models of one tensor")
        _need(isinstance(v, dict) and isinstance(v.get("arg"), dict) and PATH.match(str(v.get(path_key))),
              "its signature names a weight that is not a dotted path of identifiers")
        _tensor_name(v["arg"], names, "its signature")
        clean = {"arg": v["arg"], path_key: v[path_key]}
        if kind == "buffer":
            _need(isinstance(v.get("persistent"), bool), "its signature is malformed")
            clean["persistent"] = v["persistent"]
        specs.append({kind: clean})
    _need(len(user_inputs) == 1, f"its forward takes {len(user_inputs)} tensors; Glimpse explains models that take "
                                 "one tensor (a batch of samples)")
    outputs = _field(signature, "output_specs", list)
    kinds = [next(iter(o), None) if isinstance(o, dict) and len(o) == 1 else None for o in outputs]
    if "buffer_mutation" in kinds or "parameter_mutation" in kinds or "user_input_mutation" in kinds:
        raise refused("its forward changes its own buffers or inputs (a BatchNorm in training mode?). Call "
                      "model.eval() before torch.export.export")
    _need(kinds == ["user_output"], "its forward must return one tensor (the logits), not "
                                    f"{len(kinds)} outputs or training outputs")
    arg = outputs[0]["user_output"].get("arg") if isinstance(outputs[0]["user_output"], dict) else None
    _need(isinstance(arg, dict) and set(arg) == {"as_tensor"}, "its forward must return one tensor (the logits)")
    _tensor_name(arg["as_tensor"], names, "its signature")
    return ({"input_specs": specs, "output_specs": [{"user_output": {"arg": arg}}]},
            user_inputs[0], arg["as_tensor"]["name"])


def _clean_call_graph(entries: list) -> list[dict]:
    out = []
    for entry in entries:
        _need(isinstance(entry, dict), "its module list is malformed")
        fqn, sig = entry.get("fqn"), entry.get("signature")
        _need(fqn == "" or (isinstance(fqn, str) and PATH.match(fqn)), "its module list names a module that is not "
                                                                       "a dotted path of identifiers")
        if fqn != "":
            _need(sig is None, f"its module {fqn!r} keeps its own call signature (preserve_module_call_signature), "
                               "which Glimpse does not load")
            out.append({"fqn": fqn, "signature": None})
            continue
        _need(isinstance(sig, dict), "its module list is malformed")
        specs_ok = _spec(sig.get("in_spec")) == IN_SPEC and _spec(sig.get("out_spec")) == OUT_SPEC
        _need(specs_ok, "its forward must take one tensor and return one tensor (no tuples, lists, dicts or "
                        "keyword arguments)")
        arg_names = sig.get("forward_arg_names")
        _need(arg_names is None or (isinstance(arg_names, list) and len(arg_names) == 1 and _identifier(arg_names[0])),
              "its forward's argument name is not a Python identifier")
        _need(sig.get("inputs") in ([], None) and sig.get("outputs") in ([], None), "its module list is malformed")
        out.append({"fqn": "", "signature": {"inputs": [], "outputs": [], "in_spec": json.dumps(IN_SPEC),
                                            "out_spec": json.dumps(OUT_SPEC), "forward_arg_names": arg_names}})
    _need(sum(1 for e in out if e["fqn"] == "") == 1, "its module list has no single root module")
    return out


def _facts(tensors: dict, user_input: str, user_output: str, ranges: dict) -> dict:
    sizes = tensors.get(user_input, {}).get("sizes", [])
    _need(len(sizes) >= 2, "its forward's input is not a batch of samples (a tensor of two or more dimensions)")
    _need(all("as_int" in s for s in sizes[1:]), "only the batch dimension of its input may be dynamic")
    shape = tuple(int(s["as_int"]) for s in sizes[1:])
    if "as_int" in sizes[0]:
        batch = (int(sizes[0]["as_int"]),) * 2
    else:
        symbol = re.search(r"(?:s|u)\d+", sizes[0]["as_expr"]["expr_str"])
        top = ranges.get(symbol[0], {}).get("max_val") if symbol else None
        batch = (1, int(top) if top is not None and 0 < top < 2**31 else None)
    _need(batch[0] >= 1, "its input's batch size is 0")
    out = tensors.get(user_output, {}).get("sizes", [])
    width = int(out[1]["as_int"]) if len(out) == 2 and "as_int" in out[1] else None
    return {"input_shape": shape, "batch": batch, "n_outputs": width}


# ---------------------------------------------------------------------------- helpers
def _field(d: dict, key: str, kind: type):
    value = d.get(key) if isinstance(d, dict) else None
    _need(isinstance(value, kind), f"its program is malformed ({key})")
    return value


def _named(graph: dict, key: str):
    values = graph.get(key) or {}
    _need(isinstance(values, dict), f"its program is malformed ({key})")
    for name, value in values.items():
        _need(_identifier(name), f"it names a value {name[:40]!r}, which is not a Python identifier")
        yield name, value


def _identifier(name) -> bool:
    """A name the generated Python code may use as a variable (torch.fx never writes keywords,
    builtins or the names its code refers to as variables: a file that does is crafted)."""
    return isinstance(name, str) and bool(NAME.match(name)) and not keyword.iskeyword(name) \
        and not name.startswith("__") and name not in RESERVED


def _plain(value, kinds: tuple) -> bool:
    if isinstance(value, bool) and bool not in kinds:
        return False
    if isinstance(value, str):
        return value in FLOATS and str in kinds
    return isinstance(value, kinds)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _spec(text):
    try:
        return json.loads(text) if isinstance(text, str) and len(text) < 10_000 else None
    except ValueError:
        return None


def _torch_version() -> str:
    import torch
    return torch.__version__


def _need(ok, why: str) -> None:
    if not ok:
        raise refused(why)
