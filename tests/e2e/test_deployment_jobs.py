"""Long work under a real deployment, driven from headless Chromium:
`gunicorn app:server -w 2` with the default job runner (threads of the web process), and
with Celery workers and Redis (GLIMPSE_JOBS=celery).

The first test is the fork hang's reproduction: a worker that has run torch (every worker
computes the default explanation when it starts, and the page shows one) trains on a CSV.
With Dash's DiskcacheManager the job was a fork of that worker and hung in a futex for ever.
"""
from __future__ import annotations

import uuid

import numpy as np
import pytest

from dashboard import ids
from tests.e2e.helpers import removing_new_uploads
from tests.deploy.conftest import CeleryWorker, Gunicorn, Redis, base_env
from tests.e2e.test_links_and_uploads import upload_and_train

pytestmark = pytest.mark.slow


@pytest.fixture
def csv_table(tmp_path, service):
    """A generated 6,000 x 40 table, unique to this run (so Train really trains). Its size
    matters: evaluating 1,000 rows x 40 features is one op above torch's parallel grain
    (32,768 elements), the kind of op that hung in a fork of a worker that ran torch."""
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=6000, n_features=40, n_informative=8, random_state=uuid.uuid4().int % 9999)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(40)]).round(4)
    df["label"] = np.where(y == 1, "yes", "no")
    path = tmp_path / "cells.csv"
    df.to_csv(path, index=False)
    with removing_new_uploads(service):
        yield path


def open_page(dash_duo, service, url):
    from tests.e2e import helpers

    page = helpers.Page(dash_duo, service)
    dash_duo.server_url = url
    page.open()
    return page


def train_in_page(page, csv_path, timeout=180):
    upload_and_train(page, csv_path, "6,000 rows", "label")
    page.until(lambda: "Trained" in page.text(ids.CSV_MESSAGE) or "stopped" in page.text(ids.CSV_MESSAGE),
               timeout, "the training to finish")
    assert "Trained cells.csv → label" in page.text(ids.CSV_MESSAGE), page.text(ids.CSV_MESSAGE)
    page.until(lambda: page.model_label().startswith("cells.csv → label"), 60, "the new model selected")


def test_csv_training_finishes_under_gunicorn_after_an_explanation(dash_duo, service, tmp_path, csv_table):
    """One worker, so the explanation is surely computed by the process (and thread: a sync
    worker serves requests in its main thread, where OpenMP's pool then lives) that
    receives Train. The old DiskcacheManager fork hung here."""
    server = Gunicorn(tmp_path, base_env(GLIMPSE_CACHE_TYPE="simple"), workers=1,
                      extra_args=("--threads", "1")).start()   # the sync worker of the original report
    try:
        page = open_page(dash_duo, service, server.url)
        other = next(i for i in page.thumb_ids() if i != page.sample_id())
        page.select_sample(other)    # not the warm default view: computed now, in the request
        page.wait_figures(ids.output(ids.TAB_GRADIENTS),
                          lambda f: f[0]["title"].startswith("Integrated") and page.sample_id() == other, 60)
        train_in_page(page, csv_table)
        assert server.proc.alive()
        assert "Traceback" not in server.proc.log(), server.proc.log()
    finally:
        server.stop()


def test_training_and_precompute_run_on_celery_workers(dash_duo, service, tmp_path, csv_table):
    redis = Redis(tmp_path).start()
    env = base_env(GLIMPSE_JOBS="celery", GLIMPSE_REDIS_URL=redis.url, GLIMPSE_CHUNK_SIZE=256)
    workers = [CeleryWorker(tmp_path, env, f"w{i}").start() for i in (1, 2)]
    server = Gunicorn(tmp_path, env).start()
    try:
        page = open_page(dash_duo, service, server.url)
        train_in_page(page, csv_table)
        # the model was trained by a Celery task (Dash's CeleryManager), not in a web process
        assert any("Task background_callback_" in w.proc.log() and "succeeded" in w.proc.log() for w in workers), \
            [w.proc.log() for w in workers]

        page.click(f"#{ids.PRECOMPUTE_TOGGLE}")
        page.until(lambda: "Integrated gradients" in page.text(ids.PRECOMPUTE_METHODS), 20, "the method choices")
        page.click(f"#{ids.PRECOMPUTE_START}")
        page.until(lambda: "Done" in page.text(ids.PRECOMPUTE_MESSAGE), 180, "the precompute job to finish")
        assert "6,000 samples" in page.text(ids.PRECOMPUTE_MESSAGE)
        chunks = [w.proc.log().count("Task glimpse.precompute_chunk") for w in workers]
        assert all(chunks), chunks      # 6,000 rows in parts of 256: both workers took some
        page.assert_clean()
    finally:
        server.stop()
        for w in workers:
            w.stop()
        redis.stop()


def gunicorn_worker_pids(server: Gunicorn) -> set[int]:
    import psutil

    return {p.pid for p in psutil.Process(server.proc.popen.pid).children()}


def test_a_killed_worker_s_jobs_are_reported_not_hidden(dash_duo, service, tmp_path, csv_table):
    """SIGKILL the worker that runs a CSV training, then one that runs a precompute: gunicorn
    starts a new worker, and the page says what happened within seconds."""
    import os
    import signal

    server = Gunicorn(tmp_path, base_env(GLIMPSE_CACHE_TYPE="filesystem",
                                         GLIMPSE_CACHE_DIR=str(tmp_path / "cache")), workers=1).start()
    try:
        page = open_page(dash_duo, service, server.url)
        upload_and_train(page, csv_table, "6,000 rows", "label")
        page.until(lambda: page.text(ids.CSV_PROGRESS_TEXT).startswith("Training: epoch"), 60, "training progress")
        (victim,) = gunicorn_worker_pids(server)
        os.kill(victim, signal.SIGKILL)
        page.until(lambda: "Training stopped" in page.text(ids.CSV_MESSAGE), 60, "the training failure message")
        assert "start it again" in page.text(ids.CSV_MESSAGE)
        page.until(lambda: page.duo.find_element(f"#{ids.CSV_TRAIN}").get_attribute("disabled") is None, 10,
                   "the Train button enabled again")

        page.open("?model=mnist-cnn")
        page.click(f"#{ids.PRECOMPUTE_TOGGLE}")
        page.until(lambda: "SmoothGrad" in page.text(ids.PRECOMPUTE_METHODS), 30, "the method choices")
        page.click(f"#{ids.PRECOMPUTE_START}")
        page.until(lambda: " / " in page.text(ids.PRECOMPUTE_TEXT) and
                   int(page.text(ids.PRECOMPUTE_TEXT).split(":")[1].split("/")[0].replace(",", "")) > 0,
                   120, "precompute progress")
        (victim,) = gunicorn_worker_pids(server)
        os.kill(victim, signal.SIGKILL)
        page.until(lambda: "stopped at" in page.text(ids.PRECOMPUTE_MESSAGE), 60, "the precompute failure message")
        assert "stays cached" in page.text(ids.PRECOMPUTE_MESSAGE)
        assert page.duo.find_element(f"#{ids.PRECOMPUTE_START}").get_attribute("disabled") is None
    finally:
        server.stop()
