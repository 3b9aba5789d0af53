"""docker-compose.yml: the three services the README describes, sharing one volume and one
Redis, running commands this repository really provides."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.deploy.conftest import ROOT


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_app_worker_and_redis_share_the_store_and_the_broker(compose):
    services = compose["services"]
    assert set(services) == {"app", "worker", "redis"}
    app, worker = services["app"], services["worker"]
    for svc in (app, worker):
        env = svc["environment"]
        assert env["GLIMPSE_JOBS"] == "celery" and env["GLIMPSE_REDIS_URL"].startswith("redis://redis:")
        assert "glimpse-data:/data" in svc["volumes"] and env["GLIMPSE_MODEL_STORE"].startswith("/data/")
        assert svc["depends_on"]["redis"]["condition"] == "service_healthy"
        assert "healthcheck" in svc
    assert app["command"][:2] == ["gunicorn", "app:server"] and "--workers" in app["command"]
    assert int(app["command"][app["command"].index("--workers") + 1]) >= 2
    assert worker["command"][:3] == ["celery", "-A", "app:celery_app"]
    assert "/_glimpse/health" in " ".join(app["healthcheck"]["test"])
    assert all(p.startswith("127.0.0.1:") for p in app["ports"])    # loopback unless the login is set up


def test_the_worker_entry_point_exists_in_celery_mode(monkeypatch, tmp_path):
    """`celery -A app:celery_app` finds a Celery app when GLIMPSE_JOBS=celery (and none
    otherwise, where a worker refuses to start with a message)."""
    import app as entry

    monkeypatch.setenv("GLIMPSE_JOBS", "celery")
    monkeypatch.setenv("GLIMPSE_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("GLIMPSE_CACHE_DIR", str(tmp_path))
    dash_app, celery_app = entry.build(entry.parse_args([], env={}))
    assert celery_app is not None and "glimpse.precompute_chunk" in celery_app.tasks
    assert any(name.startswith("background_callback_") for name in celery_app.tasks)   # CSV training
    monkeypatch.setattr(entry.sys, "argv", ["/usr/bin/celery", "-A", "app:celery_app", "worker"])
    monkeypatch.setenv("GLIMPSE_JOBS", "thread")
    with pytest.raises(SystemExit, match="GLIMPSE_JOBS=celery"):
        entry.build(entry.parse_args([], env={}))


@pytest.mark.skipif(not (shutil.which("docker-compose") or shutil.which("docker")), reason="no docker compose here")
def test_docker_compose_accepts_the_file():
    cmd = ["docker-compose", "config", "-q"] if shutil.which("docker-compose") else ["docker", "compose", "config", "-q"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    if result.returncode != 0 and "unknown command" in result.stderr:
        pytest.skip("docker without the compose plugin")
    assert result.returncode == 0, result.stderr
