"""Upload safety for TorchScript files: archive limits before inflating, no load-time code,
an allow-list of operations before the first forward, and a first forward in a child
process with memory and time limits. Each hostile file has a control showing the trap is
armed (what plain torch would do with it)."""
from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path
from typing import Tuple

import numpy as np
import pytest
import torch
from torch import nn

from explain_core import ExplanationService, Settings
from explain_core.errors import ModelFileError, UnknownIdError
from explain_core.model_safety import ModelLimits, archive, first_forward, load_checked
from explain_core.models.architectures import MnistCNN, MnistMLP, TabularMLP
from explain_core.uploads import load_torchscript, load_upload, stored_upload_ids, uploads_root
from tests.model_files import script_bytes

ROOT = Path(__file__).resolve().parents[2]


saved = script_bytes      # a module scripted (or traced on an input) and saved, as a user would


def fresh(tmp_path) -> ExplanationService:
    return ExplanationService(Settings(model_store=tmp_path / "m", cache_dir=tmp_path / "c"), specs=())


@pytest.fixture(scope="module")
def tabular(tmp_path_factory) -> tuple[ExplanationService, Path]:
    """A service with a CSV model of 8 columns, so tabular uploads have data; and its folder."""
    X = np.random.default_rng(0).normal(size=(120, 8))
    lines = [",".join([f"f{i}" for i in range(8)] + ["y"])]
    lines += [",".join(f"{v:.4f}" for v in row) + ("," + ("a" if row[0] > 0 else "b")) for row in X]
    root = tmp_path_factory.mktemp("tabular")
    svc = fresh(root)
    svc.add_csv_model("\n".join(lines).encode(), "y", "t.csv")
    return svc, root


def forward_children() -> list[int]:
    """Checking processes of this test process still alive (or unreaped)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmd = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"_forward_child" in cmd:
            found.append(int(stat.parent.name))
    return found


# ---------------------------------------------------------------- hostile models
class ReadsAFile(nn.Module):
    """The issue's exploit: the 'logits' are a server file's bytes."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def forward(self, x):
        raw = torch.from_file(self.path, False, 16, dtype=torch.uint8)
        return raw.float().reshape(2, 8)[: x.shape[0]]


def sentinel(tmp_path) -> Path:
    """A file whose access time moves when anything reads it (atime older than mtime)."""
    path = tmp_path / "secret.txt"
    path.write_bytes(b"0123456789abcdef" * 4)
    os.utime(path, (946_684_800, time.time()))      # atime 2000-01-01, mtime now
    return path


def test_from_file_model_is_refused_and_the_file_is_never_read(tmp_path, tabular):
    secret = sentinel(tmp_path)
    svc, _ = tabular
    evil = saved(ReadsAFile(str(secret)))
    with pytest.raises(ModelFileError, match=r"uses operation aten::from_file, which Glimpse does not run "
                                             r"\(reads files\)"):
        svc.add_torchscript_model(evil, (8,))
    assert secret.stat().st_atime == 946_684_800
    assert "ts-" + hashlib.sha1(evil).hexdigest()[:10] not in stored_upload_ids(svc.store)
    # the trap is armed: plain torch runs it and the file's bytes come back as logits
    logits = torch.jit.load(io.BytesIO(evil))(torch.zeros(2, 8))
    assert bytes(logits.to(torch.uint8).flatten().tolist()) == b"0123456789abcdef"
    assert secret.stat().st_atime > 946_684_800


def test_the_operation_check_alone_refuses_from_file(tmp_path, monkeypatch):
    """Without the source scan, the graph walk still names the operation and where it is."""
    secret = sentinel(tmp_path)
    monkeypatch.setattr(archive, "FORBIDDEN_SOURCE", ())
    with pytest.raises(ModelFileError, match=r"^The model uses operation aten::from_file, which Glimpse does "
                                             r"not run \(reads files\); found in __torch__\.[\w.]*ReadsAFile\.forward"):
        load_checked(saved(ReadsAFile(str(secret))))
    assert secret.stat().st_atime == 946_684_800


@torch.jit.script
class Reader:
    def __init__(self, path: str):
        self.path = path

    def read(self) -> torch.Tensor:
        return torch.from_file(self.path, False, 16, dtype=torch.uint8)


class ReadsThroughAClass(nn.Module):
    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def forward(self, x):
        return Reader(self.path).read().float()[:2].reshape(1, 2).expand(x.shape[0], 2)


def test_an_operation_hidden_in_a_script_class_method_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "FORBIDDEN_SOURCE", ())
    with pytest.raises(ModelFileError, match=r"aten::from_file.*found in __torch__\.[\w.]*Reader\.read"):
        load_checked(saved(ReadsThroughAClass(str(sentinel(tmp_path)))))


class Prints(nn.Module):
    def forward(self, x):
        print("hello from the model")
        return x[:, :2]


class Other(nn.Module):
    """Code in forward, in an exported method and in a script class: none runs at load."""

    def forward(self, x):
        print("forward ran")
        return x[:, :2]

    @torch.jit.export
    def other(self, x):
        print("other ran")
        return Reader("/nonexistent").read()


class SetsState(nn.Module):
    def __init__(self):
        super().__init__()
        self.k = 1

    def forward(self, x):
        return x[:, :2] * self.k

    @torch.jit.export
    def __getstate__(self) -> Tuple[int, bool]:
        return (self.k, self.training)

    @torch.jit.export
    def __setstate__(self, state: Tuple[int, bool]) -> None:
        print("SETSTATE RAN")
        self.k = state[0]
        self.training = state[1]


def test_print_is_refused(tabular):
    with pytest.raises(ModelFileError, match=r"prim::Print, which Glimpse does not run \(prints to the "
                                             r"server's output\)"):
        tabular[0].add_torchscript_model(saved(Prints()), (8,))


def test_setstate_is_refused_before_loading_and_nothing_else_runs_at_load(capfd):
    content = saved(SetsState())
    with pytest.raises(ModelFileError, match="defines __setstate__, which runs while the file loads"):
        load_torchscript(content)
    assert "SETSTATE" not in capfd.readouterr().out
    torch.jit.load(io.BytesIO(content))               # the trap is armed: loading alone runs it
    assert "SETSTATE RAN" in capfd.readouterr().out
    # everything else waits for a call: loading a module full of prints prints nothing
    torch.jit.load(io.BytesIO(saved(Other())))
    assert capfd.readouterr().out == ""


# ---------------------------------------------------------------- archive limits
@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """A real TorchScript archive whose constants.pkl declares (and inflates to) 1 GiB."""
    real = zipfile.ZipFile(io.BytesIO(saved(TabularMLP(8, 2), torch.zeros(1, 8))))
    path = tmp_path_factory.mktemp("bomb") / "bomb.pt"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info in real.infolist():
            if not info.filename.endswith("constants.pkl"):
                z.writestr(info.filename, real.read(info))
        with z.open("archive/constants.pkl", "w", force_zip64=True) as f:
            chunk = bytes(1 << 22)
            for _ in range(256):
                f.write(chunk)
    return path


def test_zip_bomb_is_refused_without_inflating(zip_bomb):
    assert zip_bomb.stat().st_size < 1.2e6
    assert zipfile.ZipFile(zip_bomb).getinfo("archive/constants.pkl").file_size == 1 << 30
    script = ("import resource, sys\n"
              "from explain_core.errors import ModelFileError\n"
              "from explain_core.uploads import load_torchscript\n"
              "content = open(sys.argv[1], 'rb').read()\n"
              "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
              "try:\n    load_torchscript(content)\nexcept ModelFileError as e:\n    print(e)\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n")
    out = subprocess.run([sys.executable, "-c", script, str(zip_bomb)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True).stdout.splitlines()
    assert "would inflate" in out[0] and "the limit is" in out[0]
    assert int(out[1]) < 50 * 1024, f"peak RSS grew by {int(out[1]) // 1024} MB"


def test_inflated_size_limit_names_its_setting(monkeypatch):
    content = saved(MnistCNN(), torch.zeros(1, 1, 28, 28))     # about 0.43 MB inflated
    monkeypatch.setenv("GLIMPSE_MAX_MODEL_INFLATED_MB", "0.25")
    with pytest.raises(ModelFileError, match=r"would inflate to 0.4 MB; the limit is 0.25 MB "
                                             r"\(GLIMPSE_MAX_MODEL_INFLATED_MB\)"):
        load_torchscript(content)
    monkeypatch.setenv("GLIMPSE_MAX_MODEL_INFLATED_MB", "1")
    load_torchscript(content)


def rezipped(content: bytes, extra: list[tuple[str, bytes]], compression=zipfile.ZIP_STORED) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(content))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for info in src.infolist():
            z.writestr(info.filename, src.read(info))
        for name, data in extra:
            info = zipfile.ZipInfo(name)                  # a ZipInfo keeps names as they are
            info.compress_type = compression
            z.writestr(info, data)
    return buf.getvalue()


@pytest.mark.parametrize("extra, message", [
    ([("archive/extra/../../etc/x", b"x")], "is absolute or leaves its folder"),
    ([("/archive/abs", b"x")], "is absolute or leaves its folder"),
    ([("archive/version", b"9")], "appears twice in the archive"),
    ([(f"archive/extra/{i}", b"") for i in range(20)], r"has 47 entries; the limit is 40 \(GLIMPSE_MAX_MODEL_ENTRIES\)"),
])
def test_archive_structure_is_checked(monkeypatch, extra, message):
    monkeypatch.setenv("GLIMPSE_MAX_MODEL_ENTRIES", "40")    # a traced TabularMLP has 27
    base = saved(TabularMLP(8, 2), torch.zeros(1, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                 # zipfile warns about the duplicate name
        content = rezipped(base, extra)
    with pytest.raises(ModelFileError, match=message):
        load_torchscript(content)


def test_compression_ratio_is_checked():
    content = rezipped(saved(TabularMLP(8, 2), torch.zeros(1, 8)), [("archive/extra/zeros", bytes(8 << 20))],
                       zipfile.ZIP_DEFLATED)
    with pytest.raises(ModelFileError, match=r"'archive/extra/zeros' would inflate [\d,]+ times .* the limit "
                                             r"is 200 times"):
        load_torchscript(content)


def test_torch_save_checkpoint_is_still_refused():
    buf = io.BytesIO()
    torch.save(TabularMLP(8, 2).state_dict(), buf)
    with pytest.raises(ModelFileError, match="looks like a torch.save checkpoint"):
        load_torchscript(buf.getvalue())


# ------------------------------------------------------------ the first forward's limits
class Spins(nn.Module):
    def forward(self, x):
        i = 0
        while i >= 0:
            i += 1
        return x[:, :2]


class Hogs(nn.Module):
    def forward(self, x):
        big = torch.ones([100_000_000])       # 400 MB
        return x[:, :2] + big[:1]


def test_endless_forward_is_stopped_by_the_time_limit(tabular, monkeypatch):
    svc, _ = tabular
    monkeypatch.setenv("GLIMPSE_MODEL_CHECK_S", "2")
    start = time.monotonic()
    with pytest.raises(ModelFileError, match=r"did not answer within 2 s \(GLIMPSE_MODEL_CHECK_S\) on two "
                                             r"samples"):
        svc.add_torchscript_model(saved(Spins()), (8,))
    assert time.monotonic() - start < 30           # start-up (~1.5 s) is not counted in the 2 s
    assert forward_children() == []


def test_memory_hog_is_stopped_by_the_memory_limit(tabular, monkeypatch):
    svc, _ = tabular
    content = saved(Hogs())
    monkeypatch.setenv("GLIMPSE_MODEL_CHECK_MB", "200")
    with pytest.raises(ModelFileError, match=r"used more than 200 MB \(GLIMPSE_MODEL_CHECK_MB\) of memory"):
        svc.add_torchscript_model(content, (8,))
    assert forward_children() == []
    # the trap is armed: under the default limit the same model passes the check
    module, clean = load_checked(content)
    assert first_forward(clean, np.zeros((2, 8), np.float32), ModelLimits())["shape"] == [2, 2]


@pytest.mark.parametrize("child, message", [
    ("print('ready', flush=True)\nos._exit(3)", r"^The model stopped the checking process \(exit code 3\)"),
    ("os.kill(os.getpid(), 9)", r"^Glimpse could not check the model: the checking process failed to start "
                                r"\(signal 9\)"),
    ("print('ready', flush=True)\nprint('<not json>', flush=True)", "gave no readable answer"),
])
def test_a_dying_child_is_a_clear_message(tmp_path, monkeypatch, child, message):
    script = tmp_path / "child.py"
    script.write_text("import os, sys\nsys.stdin.buffer.read()\n" + child + "\n")
    monkeypatch.setattr("explain_core.model_safety.child_check.CHILD", script)
    with pytest.raises(ModelFileError, match=message):
        first_forward(b"archive", np.zeros((2, 3)))
    assert forward_children() == []


def test_child_reports_plain_values_only():
    _, clean = load_checked(saved(TabularMLP(8, 3), torch.zeros(1, 8)))
    report = first_forward(clean, np.zeros((2, 8), np.float32))
    assert report == {"error": None, "memory": False, "type": "Tensor", "shape": [2, 3], "finite": True,
                      "single_error": None}
    assert json.loads(json.dumps(report)) == report


# -------------------------------------------------------------- what must keep working
class CommonLayers(nn.Module):
    """BatchNorm, Dropout, residual add, cat, sigmoid, softmax, flatten, pools, GELU,
    LayerNorm, a ModuleList loop and a no_grad block."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(4)
        self.max = nn.MaxPool2d(2)
        self.avg = nn.AvgPool2d(2)
        self.adapt = nn.AdaptiveAvgPool2d(4)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(64, 16)
        self.bn1 = nn.BatchNorm1d(16)
        self.norm = nn.LayerNorm(16)
        self.drop = nn.Dropout(0.2)
        self.act = nn.GELU()
        self.blocks = nn.ModuleList([nn.Linear(16, 16) for _ in range(2)])
        self.out = nn.Linear(32, 10)

    def forward(self, x):
        h = self.bn2(self.conv(x))
        h = self.adapt(self.max(h) + self.avg(h))
        h = self.drop(self.act(self.norm(self.bn1(self.fc(self.flat(h))))))
        for block in self.blocks:
            h = h + torch.sigmoid(block(h))
        with torch.no_grad():
            scale = torch.ones_like(h)
        return torch.log_softmax(self.out(torch.cat([h, h * scale], dim=1)), dim=1)


ZOO = [("cnn", MnistCNN, (1, 28, 28)), ("mlp", MnistMLP, (1, 28, 28)), ("tabular", lambda: TabularMLP(8, 2), (8,)),
       ("common", CommonLayers, (1, 28, 28))]


@pytest.mark.parametrize("how", ["script", "trace"])
@pytest.mark.parametrize("name, make, shape", ZOO, ids=[z[0] for z in ZOO])
def test_zoo_architectures_and_common_layers_pass(name, make, shape, how):
    if name == "tabular" and how == "script":
        pytest.skip("TabularMLP keeps its layers in a plain list, which torch.jit.script cannot compile")
    model = make().eval()
    x = torch.randn(2, *shape)
    module, clean = load_checked(saved(model, x[:1] if how == "trace" else None))
    with torch.no_grad():
        torch.testing.assert_close(module(x), model(x))
    report = first_forward(clean, x.numpy())
    assert report["error"] is None and report["shape"] == [2, model(x).shape[1]] and report["finite"]


@pytest.mark.parametrize("how", ["script", "trace"])
def test_uploaded_zoo_models_are_explained_and_restored(service, tmp_path, how):
    svc = fresh(tmp_path)
    for zoo_id in ("mnist-mlp", "mnist-cnn"):
        model = service.torch_model(zoo_id)
        model_id = svc.add_torchscript_model(saved(model, torch.zeros(1, 1, 28, 28) if how == "trace" else None),
                                             (1, 28, 28))
        assert svc.model_info(model_id).accuracy == pytest.approx(service.model_info(zoo_id).accuracy, abs=1e-12)
        got = svc.explain(model_id, 3, "gradient_x_input")
        want = service.explain(zoo_id, 3, "gradient_x_input")
        np.testing.assert_allclose(got.attribution, want.attribution, atol=1e-5)
    again = fresh(tmp_path)                               # restored through the same checks
    assert len(again.model_ids()) == 2


def test_a_hostile_file_put_in_the_store_is_not_restored(tmp_path, tabular, caplog):
    secret = sentinel(tmp_path)
    svc, root = tabular
    folder = uploads_root(svc.store) / "ts-0123456789"
    folder.mkdir(parents=True)
    (folder / "model.pt").write_bytes(saved(ReadsAFile(str(secret))))
    (folder / "meta.json").write_text(json.dumps({
        "source": "torchscript", "model_id": "ts-0123456789", "title": "planted", "input_shape": [8],
        "class_names": None, "data": {"model": svc.model_ids()[0]}, "arch": "TorchScript", "accuracy": 1.0,
        "hash": "x"}))
    assert load_upload(svc, "ts-0123456789") is None
    assert "aten::from_file" in caplog.text
    with pytest.raises(UnknownIdError):
        fresh(root).model_info("ts-0123456789")
    assert secret.stat().st_atime == 946_684_800
