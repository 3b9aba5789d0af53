"""Upload safety for torch.export (.pt2) files: nothing in the file runs as it loads.

torch.export.load trusts its file. Each crafted file below holds code that plain torch runs
(a pickle whose __reduce__ writes a marker file, Python in guards_code or in a shape
expression); a control in a child process shows the trap is armed with plain torch, and
Glimpse's loader either refuses the file with a clear message or loads it without running
the trap (the marker never appears, even after a forward)."""
from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from explain_core.errors import ModelFileError
from explain_core.model_safety import ModelLimits
from explain_core.model_safety.exported import load_exported
from explain_core.model_safety.pt2_archive import clean_pt2, is_pt2
from explain_core.model_safety.pt2_expr import check_expression
from tests.model_files import edit_json, pt2_bytes, rewrite

ROOT = Path(__file__).resolve().parents[2]


class Writes:
    """Unpickling this creates `path`: the proof that something unpickled the file."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def small_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, 10)).eval()


@pytest.fixture(scope="module")
def good() -> bytes:
    return pt2_bytes(small_cnn())


def torch_saved(obj) -> bytes:
    import io
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def crafted(good: bytes, tmp: Path) -> dict[str, tuple[bytes, Path]]:
    """name -> (file, the marker its trap writes)."""
    m = {name: tmp / f"marker-{name}" for name in ("sample_inputs", "pickled_weight", "opaque", "guards", "sympy")}

    def pickled_weight(cfg):
        cfg["config"]["0.weight"]["use_pickle"] = True

    def opaque(cfg):
        cfg["config"]["evil"] = {"path_name": "opaque_obj_0", "is_param": False, "use_pickle": True,
                                 "tensor_meta": None}

    def guards(doc):
        doc["guards_code"] = [f"open({str(m['guards'])!r}, 'w') is not None"]

    def sympy(doc):
        size = doc["graph_module"]["graph"]["tensor_values"]["input"]["sizes"][0]["as_expr"]
        size["expr_str"] = (f"Symbol('s77', positive=True, integer=True) + 0*len(str(open({str(m['sympy'])!r}, "
                            "'w')))")
    return {
        "sample_inputs": (rewrite(good, {"data/sample_inputs/model.pt": pickle.dumps(Writes(m["sample_inputs"]))}),
                          m["sample_inputs"]),
        "pickled_weight": (rewrite(good, {"data/weights/model_weights_config.json": edit_json(pickled_weight),
                                          "data/weights/weight_0": torch_saved(Writes(m["pickled_weight"]))}),
                           m["pickled_weight"]),
        "opaque": (rewrite(good, {"data/constants/model_constants_config.json": edit_json(opaque),
                                  "data/constants/opaque_obj_0": pickle.dumps(Writes(m["opaque"]))}), m["opaque"]),
        "guards": (rewrite(good, {"models/model.json": edit_json(guards)}), m["guards"]),
        "sympy": (rewrite(good, {"models/model.json": edit_json(sympy)}), m["sympy"]),
    }


CONTROL = textwrap.dedent("""
    import json, sys, torch
    cases = json.loads(sys.argv[1])
    for name, (path, marker) in cases.items():
        try:
            module = torch.export.load(path).module()
            module(torch.zeros(2, 1, 28, 28))
        except Exception:
            pass
""")


@pytest.fixture(scope="module")
def traps(good, tmp_path_factory) -> dict[str, tuple[bytes, Path]]:
    """The crafted files, after a child process with plain torch.export.load has shown that
    each trap fires (its marker written), and the markers removed again."""
    tmp = tmp_path_factory.mktemp("pt2-traps")
    cases = crafted(good, tmp)
    paths = {}
    for name, (content, marker) in cases.items():
        path = tmp / f"{name}.pt2"
        path.write_bytes(content)
        paths[name] = [str(path), str(marker)]
    subprocess.run([sys.executable, "-c", CONTROL, json.dumps(paths)], cwd=ROOT, capture_output=True, timeout=300)
    fired = {name: marker.exists() for name, (_, marker) in cases.items()}
    assert fired == {name: True for name in cases}, f"plain torch.export.load did not run every trap: {fired}"
    for _, marker in cases.values():
        marker.unlink()
    return cases


@pytest.mark.parametrize("name, refusal", [
    ("sample_inputs", None),                       # never read: loads, the trap stays shut
    ("pickled_weight", "is stored as a pickle"),
    ("opaque", r"is a Python or C\+\+ object"),
    ("guards", None),                              # guards_code is dropped
    ("sympy", "shape expression"),
])
def test_crafted_pt2_never_runs_its_code(traps, name, refusal):
    content, marker = traps[name]
    if refusal is None:
        module, clean, facts = load_exported(content)
        out = module(torch.zeros(3, 1, 28, 28))          # a forward too: guards would run here
        assert out.shape == (3, 10) and facts["input_shape"] == (1, 28, 28)
        assert b"guards" not in clean or b'"guards_code": []' in clean
    else:
        with pytest.raises(ModelFileError, match=refusal) as e:
            load_exported(content)
        assert str(e.value).startswith("Glimpse does not load this model file: ")
    assert not marker.exists()


def program_edit(fn):
    return {"models/model.json": edit_json(fn)}


def _node(doc, target):
    return next(n for n in doc["graph_module"]["graph"]["nodes"] if n["target"].startswith(target))


@pytest.mark.parametrize("change, refusal", [
    # a node target resolved by walking attributes from `torch`: os.system, torch.save
    (program_edit(lambda d: _node(d, "torch.ops.aten.conv2d").update(target="torch.serialization.os.system")),
     r"calls 'torch.serialization.os.system'"),
    (program_edit(lambda d: _node(d, "torch.ops.aten.conv2d").update(target="torch.save")), "calls 'torch.save'"),
    (program_edit(lambda d: _node(d, "torch.ops.aten.relu").update(target="torch.ops.aten.from_file.default")),
     r"aten::from_file, which Glimpse does not run \(reads files\)"),
    (program_edit(lambda d: _node(d, "torch.ops.aten.relu").update(target="#evil.extension")), "'#evil.extension'"),
    # names end up in generated Python source
    (program_edit(lambda d: _node(d, "torch.ops.aten.relu").update(name="x = 1; import os")),
     "not a Python identifier"),
    (program_edit(lambda d: d["graph_module"]["graph"]["nodes"][0]["inputs"][0]["arg"].update(
        {"as_tensor": {"name": "__import__"}})), "not a Python identifier"),
    (program_edit(lambda d: _node(d, "torch.ops.aten.relu")["inputs"][0].update(
        arg={"as_operator": "torch.ops.aten.save"})), "kind 'as_operator'"),
    (program_edit(lambda d: _node(d, "torch.ops.aten.relu")["inputs"][0].update(
        arg={"as_graph": {"name": "g", "graph": {}}})), "kind 'as_graph'"),
    (program_edit(lambda d: d["graph_module"]["graph"].update(custom_obj_values={"x": {"name": "x",
                                                                                      "class_fqn": "a.b"}})),
     "custom C\\+\\+ objects"),
    (program_edit(lambda d: d["graph_module"]["signature"]["input_specs"][0].update(
        {"parameter": {"arg": {"name": "p"}, "parameter_name": "0.weight; rm"}})), "dotted path"),
    (program_edit(lambda d: d.update(range_constraints={"__import__('os')": {"min_val": 0, "max_val": 9}})),
     "size symbol"),
    (program_edit(lambda d: d["schema_version"].update(major=1)), "export format 1.x"),
    # compiled native code, and entries torch.export.save never writes
    ({"data/aotinductor/model/model.so": b"\x7fELF"}, "compiled native code"),
    ({"data/weights/model.pt": torch_saved({"w": torch.zeros(1)})}, "older torch.export format"),
    ({"models/other.json": b"{}"}, "more than one program"),
    ({"code/__torch__.py": b"x"}, "the entry 'code/__torch__.py'"),
    # weights that claim more than they hold
    ({"data/weights/model_weights_config.json": edit_json(
        lambda c: c["config"]["0.weight"]["tensor_meta"]["sizes"][0].update(as_int=400))}, "claims more values"),
    ({"data/weights/model_weights_config.json": edit_json(lambda c: c["config"]["0.weight"]["tensor_meta"].update(
        sizes=[{"as_int": 10**6}] * 4, strides=[{"as_int": 0}] * 4))}, "once laid out"),
    ({"models/model.json": b"{not json"}, "not valid JSON"),
    ({"archive_format": b"zip"}, "archive_format pt2"),
])
def test_crafted_programs_are_refused_with_a_clear_message(good, change, refusal):
    with pytest.raises(ModelFileError, match=refusal) as e:
        clean_pt2(rewrite(good, change))
    assert str(e.value).startswith("Glimpse does not load this model file: ")


def test_archive_limits_apply_before_anything_is_inflated(good):
    with pytest.raises(ModelFileError, match="entries; the limit is 5"):
        clean_pt2(good, ModelLimits(entries=5))
    with pytest.raises(ModelFileError, match="is not a readable zip archive"):
        clean_pt2(b"PK\x03\x04 not really")


@pytest.mark.parametrize("expr", [
    "s77", "2*s77 + 1", "Symbol('s77', positive=True, integer=True)", "FloorDiv(s0, 2)", "Max(1, s3)", "s1**2",
    "Eq(Mod(s0, 4), 0)",
])
def test_plain_shape_expressions_pass(expr):
    check_expression(expr, "a test")


@pytest.mark.parametrize("expr", [
    "__import__('os').system('x')", "s0.__class__", "open('x')", "s0(1)", "Symbol('x' + 'y')", "s0[0]",
    "lambda: 1", "9**9**9", "s0**s1", "exec", "x" * 3000,
])
def test_other_shape_expressions_are_refused(expr):
    with pytest.raises(ModelFileError, match="shape expression"):
        check_expression(expr, "a test")


def test_training_mode_and_several_outputs_are_refused():
    train = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.Dropout(0.5)).train()
    program = torch.export.export(train, (torch.zeros(2, 1, 28, 28),))
    import io
    buf = io.BytesIO()
    torch.export.save(program, buf)
    with pytest.raises(ModelFileError, match=r"dropout in training mode.*model\.eval\(\)"):
        clean_pt2(buf.getvalue())

    class Two(nn.Module):
        def forward(self, x):
            return x.flatten(1)[:, :10], x.flatten(1)[:, 10:20]
    with pytest.raises(ModelFileError, match="return one tensor"):
        clean_pt2(pt2_bytes(Two()))


def test_a_clean_archive_is_clean_again_and_loads_the_same(good):
    clean, facts = clean_pt2(good)
    assert is_pt2(good) and is_pt2(clean) and not is_pt2(b"not a zip")
    again, facts_again = clean_pt2(clean)
    assert facts == facts_again == {"input_shape": (1, 28, 28), "batch": (1, None), "n_outputs": 10}
    x = torch.randn(5, 1, 28, 28)
    module, _, _ = load_exported(clean)
    np.testing.assert_allclose(module(x).detach().numpy(), small_cnn()(x).detach().numpy(), atol=1e-5)
