"""Shared fixtures: one trained service per test session.

Models are stored under GLIMPSE_TEST_HOME (default: a folder in the system temp dir
that persists between runs), so only the first run pays the ~20 s of training.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from explain_core import ExplanationService, Settings


def test_home() -> Path:
    return Path(os.environ.get("GLIMPSE_TEST_HOME", Path(tempfile.gettempdir()) / "glimpse-test-home"))


@pytest.fixture(scope="session")
def settings() -> Settings:
    home = test_home()
    return Settings(model_store=home / "models", cache_dir=home / "cache", cache_type="simple")


@pytest.fixture(scope="session")
def service(settings) -> ExplanationService:
    svc = ExplanationService(settings)
    svc.ensure_models()
    return svc


def pytest_sessionfinish(session, exitstatus):
    """Let the app's background threads (model start-up, jobs, precompute) end before the
    interpreter does: a daemon thread still inside torch at exit aborts the process
    ('terminate called without an active exception', exit code 134) after every test passed."""
    import threading
    import time

    deadline = time.monotonic() + 120
    for thread in threading.enumerate():
        if thread.name.startswith(("glimpse-startup", "glimpse-precompute", "glimpse-job", "glimpse-heartbeat")):
            thread.join(max(0.0, deadline - time.monotonic()))
