"""Glimpse as an installed package: every package in the wheel, the assets found by an
installed copy outside the repo, the `glimpse` command, and the example script."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from tests.deploy.conftest import Proc, free_port, http_get, wait_until

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("glimpse", "explain_core", "dashboard")
EXAMPLE = ROOT / "examples" / "train_and_show.py"


def test_every_package_is_in_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for top in SHIPPED for p in (ROOT / top).rglob("__init__.py")}
    assert listed - {"dashboard.assets"} == found, "add new packages to pyproject.toml's [tool.setuptools] packages"
    assert (ROOT / "assets" / "style.css").is_file()


def example_env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    env.pop("GLIMPSE_HOME", None)
    return env


@pytest.mark.slow
def test_the_example_trains_and_explains_without_serving(tmp_path):
    out = subprocess.run([sys.executable, str(EXAMPLE), "--no-serve"], cwd=tmp_path, env=example_env(),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    accuracy = float(re.search(r"held-out accuracy ([\d.]+)%", out.stdout).group(1))
    assert accuracy > 90
    assert re.search(r"Row 0, class '(malignant|benign)': \w", out.stdout)
    assert not (tmp_path / ".glimpse").exists()          # nothing written where it ran


@pytest.mark.slow
def test_the_example_serves_until_ctrl_c(tmp_path):
    port = free_port()
    proc = Proc([sys.executable, str(EXAMPLE), "--port", str(port)], example_env(), tmp_path / "example.log",
                cwd=tmp_path).start()
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until(lambda: http_get(url, timeout=2)[0] == 200, 120, "the example's page")
        assert http_get(url + "_dash-layout")[0] == 200
        proc.popen.send_signal(signal.SIGINT)
        assert proc.popen.wait(30) == 0
        assert f"Glimpse is serving on {url}" in proc.log()
    finally:
        proc.stop()


INSTALLED_CHECK = """
import sys
from pathlib import Path
import numpy as np, torch
import glimpse, dashboard, explain_core
from dashboard import create_app
venv = Path(sys.argv[1]).resolve()
for m in (glimpse, dashboard, explain_core):
    assert Path(m.__file__).resolve().is_relative_to(venv), m.__file__
assert Path(dashboard.ASSETS).resolve().is_relative_to(venv) and (dashboard.ASSETS / "style.css").is_file()
model = torch.nn.Sequential(torch.nn.Linear(4, 3))
X = np.random.default_rng(0).normal(size=(20, 4)).astype("float32")
app = create_app(glimpse.build_service(model, X, np.arange(20) % 3), start=False)
client = app.server.test_client()
for path in ("/", "/_dash-layout", "/assets/style.css", "/assets/clientside.js"):
    r = client.get(path)
    assert r.status_code == 200 and r.data, (path, r.status_code)
print("installed glimpse ok", glimpse.__version__, glimpse.explain(model, X[0]).attribution.shape)
"""


@pytest.mark.slow
def test_pip_install_into_a_fresh_venv(tmp_path):
    """`pip install .` (no dependencies, no build isolation: no network) from a copy of the
    project into a fresh venv; its dependencies come from this venv through a .pth file
    placed after the fresh site-packages, so the installed copy is the one imported."""
    src = tmp_path / "src"
    for name in ("pyproject.toml", "README.md", "requirements.txt"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, src / name)
    for top in SHIPPED + ("assets",):
        shutil.copytree(ROOT / top, src / top, ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GLIMPSE_HOME")}
    out = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
                          str(src)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    out = subprocess.run([str(py), "-c", INSTALLED_CHECK, str(venv)], cwd=outside, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "installed glimpse ok" in out.stdout
    out = subprocess.run([str(venv / "bin" / "glimpse"), "--help"], cwd=outside, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and "--model-store" in out.stdout, out.stderr[-2000:]
    shutil.copy(EXAMPLE, outside / "train_and_show.py")
    out = subprocess.run([str(py), "train_and_show.py", "--no-serve"], cwd=outside, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "held-out accuracy" in out.stdout, out.stderr[-3000:]
