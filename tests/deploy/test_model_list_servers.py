"""A model list in real processes: `python app.py --models FILE` lists its bad entry above the
page (and logs it) while serving; a Celery worker started with GLIMPSE_MODELS loads a listed
model when a precompute task asks for it, and its results are the web process's."""
from __future__ import annotations

import json
import signal
import sys
import textwrap

import numpy as np
import pytest
import torch
from torch import nn

from explain_core import ExplanationService
from explain_core.celery_jobs import CeleryPrecompute, make_celery
from explain_core.model_list import load_model_list
from tests.deploy.conftest import CeleryWorker, Proc, Redis, base_env, free_port, http_get, wait_until

pytestmark = pytest.mark.slow

FACTORY = "from torch import nn\n\n\ndef make_mlp():\n    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))\n"


@pytest.fixture
def team_list(tmp_path):
    """A list with one good factory entry (its module, weights and data beside it) and one bad."""
    (tmp_path / "deploy_teamnets.py").write_text(FACTORY)
    torch.manual_seed(0)
    torch.save(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).state_dict(), tmp_path / "mlp.pt")
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "table.npz", X=rng.normal(size=(40, 4)).astype(np.float32), y=rng.integers(0, 3, 40))
    path = tmp_path / "models.yaml"
    path.write_text(textwrap.dedent("""
        models:
          - {id: team-mlp, title: Team MLP, factory: 'deploy_teamnets:make_mlp', weights: mlp.pt,
             data: {npz: table.npz}}
          - {id: gone, file: gone.pt2, data: mnist}
        """))
    return path


def test_app_py_with_a_model_list_serves_and_lists_the_bad_entry(tmp_path, team_list, trained_models):
    port = free_port()
    proc = Proc([sys.executable, "app.py", "--port", str(port), "--models", str(team_list)], base_env(),
                tmp_path / "app.log").start()
    try:
        wait_until(lambda: proc.alive() and http_get(f"http://127.0.0.1:{port}/_glimpse/health", 5)[0] == 200,
                   180, "python app.py --models")
        status, _, body = http_get(f"http://127.0.0.1:{port}/_dash-layout")
        layout = json.dumps(json.loads(body))
        assert status == 200
        assert "1 entry of the model list could not be loaded; the other models are here" in layout
        assert "Model list models.yaml, entry 2 (gone): the model file" in layout
        assert "glimpse.model_list WARNING Model list models.yaml, entry 2 (gone)" in proc.log()
    finally:
        proc.stop()


def test_a_celery_worker_loads_a_listed_model_when_its_precompute_asks(tmp_path, settings, team_list,
                                                                       trained_models):
    redis = Redis(tmp_path).start()
    env = base_env(GLIMPSE_JOBS="celery", GLIMPSE_REDIS_URL=redis.url, GLIMPSE_MODELS=str(team_list),
                   GLIMPSE_CHUNK_SIZE=10)
    local = ExplanationService(settings.with_(jobs="celery", redis_url=redis.url, cache_type="redis",
                                              cache_url=redis.url))
    worker = None
    try:
        assert len(load_model_list(local, team_list)) == 1
        jobs = CeleryPrecompute(local, make_celery(local.settings, local), chunk_size=10)
        worker = CeleryWorker(tmp_path, env, "listed").start()
        jobs.start("team-mlp", ["integrated_gradients"])
        status = jobs.wait(180)
        assert status["state"] == "done" and status["done"] == status["total"] == 40, (status, worker.proc.log())
        assert all(local.cached("team-mlp", i, "integrated_gradients") for i in range(40))
        want = local.explain("team-mlp", 5, "integrated_gradients")       # served from what the worker cached
        assert local.stats["misses"] == 0 and want.attribution.shape == (4,)
    finally:
        if worker is not None:
            worker.stop(signal.SIGKILL)
        redis.stop()
