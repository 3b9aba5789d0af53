"""The signature of an uploaded torch.export program, checked and rebuilt: one tensor in
(besides its weights, buffers and constants), one tensor out, nothing mutated, no custom
objects or effect tokens; the module list with dotted paths only and the root's call
signature replaced by the canonical one (one tensor in, one out). Also the facts Glimpse
needs: the input shape of one sample, the batch sizes the program takes, its output width.
"""
from __future__ import annotations

import json
import re

import torch.utils._pytree as pytree

from .pt2_checks import PATH, field, identifier, need, refused, tensor_name

IN_SPEC = json.loads(pytree.treespec_dumps(pytree.tree_structure(((0,), {}))))
OUT_SPEC = json.loads(pytree.treespec_dumps(pytree.tree_structure(0)))


def clean_signature(signature: dict, names: set[str]) -> tuple[dict, str, str]:
    specs, user_inputs = [], []
    for spec in field(signature, "input_specs", list):
        need(isinstance(spec, dict) and len(spec) == 1, "its signature is malformed")
        ((kind, v),) = spec.items()
        if kind == "user_input":
            need(isinstance(v, dict) and isinstance(v.get("arg"), dict) and set(v["arg"]) == {"as_tensor"},
                 "its forward takes an input that is not a tensor; Glimpse explains models of one tensor")
            tensor_name(v["arg"]["as_tensor"], names, "its signature")
            user_inputs.append(v["arg"]["as_tensor"]["name"])
            specs.append({"user_input": {"arg": v["arg"]}})
            continue
        path_key = {"parameter": "parameter_name", "buffer": "buffer_name",
                    "tensor_constant": "tensor_constant_name"}.get(kind)
        if path_key is None:
            raise refused(f"its forward takes a {kind.replace('_', ' ')} input (custom objects, effect tokens "
                          "and constant inputs are not loaded); Glimpse explains models of one tensor")
        need(isinstance(v, dict) and isinstance(v.get("arg"), dict) and PATH.match(str(v.get(path_key))),
             "its signature names a weight that is not a dotted path of identifiers")
        tensor_name(v["arg"], names, "its signature")
        clean = {"arg": v["arg"], path_key: v[path_key]}
        if kind == "buffer":
            need(isinstance(v.get("persistent"), bool), "its signature is malformed")
            clean["persistent"] = v["persistent"]
        specs.append({kind: clean})
    need(len(user_inputs) == 1, f"its forward takes {len(user_inputs)} tensors; Glimpse explains models that take "
                                 "one tensor (a batch of samples)")
    outputs = field(signature, "output_specs", list)
    kinds = [next(iter(o), None) if isinstance(o, dict) and len(o) == 1 else None for o in outputs]
    if "buffer_mutation" in kinds or "parameter_mutation" in kinds or "user_input_mutation" in kinds:
        raise refused("its forward changes its own buffers or inputs (a BatchNorm in training mode?). Call "
                      "model.eval() before torch.export.export")
    need(kinds == ["user_output"], "its forward must return one tensor (the logits), not "
                                    f"{len(kinds)} outputs or training outputs")
    arg = outputs[0]["user_output"].get("arg") if isinstance(outputs[0]["user_output"], dict) else None
    need(isinstance(arg, dict) and set(arg) == {"as_tensor"}, "its forward must return one tensor (the logits)")
    tensor_name(arg["as_tensor"], names, "its signature")
    return ({"input_specs": specs, "output_specs": [{"user_output": {"arg": arg}}]},
            user_inputs[0], arg["as_tensor"]["name"])


def clean_call_graph(entries: list) -> list[dict]:
    out = []
    for entry in entries:
        need(isinstance(entry, dict), "its module list is malformed")
        fqn, sig = entry.get("fqn"), entry.get("signature")
        need(fqn == "" or (isinstance(fqn, str) and PATH.match(fqn)), "its module list names a module that is not "
                                                                       "a dotted path of identifiers")
        if fqn != "":
            need(sig is None, f"its module {fqn!r} keeps its own call signature (preserve_module_call_signature), "
                               "which Glimpse does not load")
            out.append({"fqn": fqn, "signature": None})
            continue
        need(isinstance(sig, dict), "its module list is malformed")
        specs_ok = _spec(sig.get("in_spec")) == IN_SPEC and _spec(sig.get("out_spec")) == OUT_SPEC
        need(specs_ok, "its forward must take one tensor and return one tensor (no tuples, lists, dicts or "
                        "keyword arguments)")
        arg_names = sig.get("forward_arg_names")
        need(arg_names is None or (isinstance(arg_names, list) and len(arg_names) == 1 and identifier(arg_names[0])),
             "its forward's argument name is not a Python identifier")
        need(sig.get("inputs") in ([], None) and sig.get("outputs") in ([], None), "its module list is malformed")
        out.append({"fqn": "", "signature": {"inputs": [], "outputs": [], "in_spec": json.dumps(IN_SPEC),
                                            "out_spec": json.dumps(OUT_SPEC), "forward_arg_names": arg_names}})
    need(sum(1 for e in out if e["fqn"] == "") == 1, "its module list has no single root module")
    return out


def facts(tensors: dict, user_input: str, user_output: str, ranges: dict) -> dict:
    sizes = tensors.get(user_input, {}).get("sizes", [])
    need(len(sizes) >= 2, "its forward's input is not a batch of samples (a tensor of two or more dimensions)")
    need(all("as_int" in s for s in sizes[1:]), "only the batch dimension of its input may be dynamic")
    shape = tuple(int(s["as_int"]) for s in sizes[1:])
    if "as_int" in sizes[0]:
        batch = (int(sizes[0]["as_int"]),) * 2
    else:
        symbol = re.search(r"(?:s|u)\d+", sizes[0]["as_expr"]["expr_str"])
        top = ranges.get(symbol[0], {}).get("max_val") if symbol else None
        batch = (1, int(top) if top is not None and 0 < top < 2**31 else None)
    need(batch[0] >= 1, "its input's batch size is 0")
    out = tensors.get(user_output, {}).get("sizes", [])
    width = int(out[1]["as_int"]) if len(out) == 2 and "as_int" in out[1] else None
    return {"input_shape": shape, "batch": batch, "n_outputs": width}


def _spec(text):
    try:
        return json.loads(text) if isinstance(text, str) and len(text) < 10_000 else None
    except ValueError:
        return None
