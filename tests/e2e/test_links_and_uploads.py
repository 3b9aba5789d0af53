"""Deep links reopen a view; CSV uploads train a model (a Dash background callback run
as a job in a thread of the server) or explain in the page why they cannot."""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from dashboard import ids
from explain_core.errors import DataError
from explain_core.uploads import uploads_root
from tests.e2e.helpers import removing_new_uploads


def test_a_deep_link_opens_its_view(glimpse):
    page = glimpse
    page.open("?model=mnist-cnn&sample=42&tab=gradients&method=integrated_gradients")
    assert page.sample_id() == 42
    assert page.model_label().startswith("MNIST CNN")
    selected = page.js("return document.querySelector('#%s .tab--selected').innerText" % ids.TABS)
    assert selected.strip() == "Gradient maps"
    out = ids.output(ids.TAB_GRADIENTS)
    figs = page.wait_figures(out, lambda f: f[0]["title"].startswith("Integrated gradients"))
    label = page.service.samples("mnist-cnn").predictions[42]
    assert figs[0]["title"] == f"Integrated gradients for class {label}"
    page.until(lambda: "Completeness" in page.text(out), 10, "the completeness note")
    # the URL keeps describing the view
    query = parse_qs(urlparse(page.driver.current_url).query)
    assert query == {"model": ["mnist-cnn"], "sample": ["42"], "tab": ["gradients"],
                     "method": ["integrated_gradients"]}
    page.assert_clean()


@pytest.fixture
def breast_cancer_csv(tmp_path, service):
    """A breast-cancer CSV unique to this run (so the upload trains instead of finding a stored
    model); the trained model is removed from the store afterwards."""
    from sklearn.datasets import load_breast_cancer

    df = load_breast_cancer(as_frame=True).frame
    df["diagnosis"] = np.where(df.pop("target") == 1, "benign", "malignant")
    df.iloc[0, 0] += (1 + uuid.uuid4().int % 997) * 1e-4
    path = tmp_path / "breast_cancer.csv"
    df.to_csv(path, index=False)
    with removing_new_uploads(service):
        yield path


def open_upload_panel(page):
    page.click(f"#{ids.UPLOAD_TOGGLE}")
    page.until(lambda: page.js("return document.getElementById(arguments[0]).style.display !== 'none'",
                               ids.UPLOAD_PANEL), 10, "the upload panel")


def upload_and_train(page, csv_path, preview_text: str, target: str):
    """Open the panel, send the CSV, wait for its preview, choose the target, press Train."""
    open_upload_panel(page)
    page.upload(ids.CSV_UPLOAD, csv_path)
    page.until(lambda: preview_text in page.text(ids.CSV_PREVIEW), 30, "the CSV preview")
    page.choose(ids.CSV_TARGET, target)
    train = page.duo.find_element(f"#{ids.CSV_TRAIN}")
    page.until(lambda: train.get_attribute("disabled") is None, 10, "the Train button")
    train.click()


def test_a_bad_csv_is_explained_and_the_model_stays(glimpse, tmp_path):
    page, service = glimpse, glimpse.service
    page.open()
    model, sample = page.model_label(), page.sample_id()
    bad = tmp_path / "one_column.csv"
    bad.write_text("x\n1\n2\n3\n")
    with pytest.raises(DataError) as e:
        service.preview_csv(bad.read_bytes(), bad.name)
    open_upload_panel(page)
    page.upload(ids.CSV_UPLOAD, bad)
    page.until(lambda: str(e.value) in page.text(ids.CSV_PREVIEW), 20, "the one-column message")
    assert "only one column" in page.text(ids.CSV_PREVIEW)
    assert page.duo.find_element(f"#{ids.CSV_TRAIN}").get_attribute("disabled") is not None
    assert page.model_label() == model and page.sample_id() == sample
    page.assert_clean()


def test_a_good_csv_trains_a_model_that_is_then_selected(glimpse, breast_cancer_csv):
    page, service = glimpse, glimpse.service
    page.open()
    upload_and_train(page, breast_cancer_csv, "569 rows, 31 columns", "diagnosis")

    # the progress bar shows and moves while the background job trains
    page.until(lambda: page.js("return document.getElementById(arguments[0]).style.display === 'block'",
                               ids.CSV_PROGRESS), 30, "the progress bar")
    seen = []

    def finished():
        seen.append((page.text(ids.CSV_PROGRESS_TEXT),
                     page.js("return document.getElementById(arguments[0]).style.width", ids.CSV_PROGRESS_BAR)))
        return "Trained" in page.text(ids.CSV_MESSAGE)
    page.until(finished, 120, "the training to finish")
    epochs = [(t, w) for t, w in seen if t.startswith("Training: epoch")]
    assert epochs, f"no training progress shown; saw {seen}"
    assert any(0 < float(w.rstrip("%")) < 100 for _, w in epochs), epochs
    assert "breast_cancer.csv → diagnosis" in page.text(ids.CSV_MESSAGE)

    # the new model is selected and its rows are listed
    page.until(lambda: page.model_label().startswith("breast_cancer.csv → diagnosis"), 30, "the new model selected")
    page.until(lambda: "model=csv-" in page.driver.current_url, 10, "the new model in the URL")
    new_id = parse_qs(urlparse(page.driver.current_url).query)["model"][0]
    assert (uploads_root(service.store) / new_id / "meta.json").is_file()   # stored by the background job
    page.until(lambda: page.js("return document.querySelectorAll('#%s td.dash-cell').length" % ids.SAMPLE_TABLE) > 0,
               30, "the sample table")
    assert not page.js("return document.querySelectorAll('#%s button.thumb').length" % ids.THUMB_GRID)

    # a row click selects that row
    rows = {int(row): int(text) for row, text in page.js(
        "return Array.from(document.querySelectorAll('#%s td.dash-cell[data-dash-column=\"id\"]'))"
        ".map(td => [td.getAttribute('data-dash-row'), td.textContent.trim()])" % ids.SAMPLE_TABLE)}
    current = page.sample_id()
    row, clicked = next((r, i) for r, i in sorted(rows.items()) if i != current)
    page.click(f"#{ids.SAMPLE_TABLE} td.dash-cell[data-dash-column='true'][data-dash-row='{row}']")
    page.until(lambda: page.sample_id() == clicked, 20, "the clicked row selected")
    table = service.samples(new_id)
    names = service.model_info(new_id).class_names
    assert page.text(ids.SAMPLE_TRUE) == names[table.labels[clicked]]
    # and the gradients tab explains it with bars over the 30 features
    figs = page.wait_figures(ids.output(ids.TAB_GRADIENTS), lambda f: f[0]["traces"][0]["type"] == "bar", 30)
    assert figs[0]["title"].startswith("Integrated gradients")
    page.assert_clean()


def test_precompute_panel_caches_every_sample_with_a_progress_bar(glimpse):
    from dashboard.precompute import STATUS_KEY

    page = glimpse
    # The panel opens on the last job in the cache, and the session's service keeps the one an
    # earlier test ran (tests/dashboard/test_forged_requests.py: "Done: Saliency … 5,000
    # samples of mnist-cnn"): a plain "Done" then matched before this job's Start had answered.
    page.service.cache.delete(STATUS_KEY)
    n = len(page.service.samples("wine-mlp").predictions)
    page.open("?model=wine-mlp&tab=gradients&method=integrated_gradients")
    page.click(f"#{ids.PRECOMPUTE_TOGGLE}")
    page.until(lambda: page.js("return document.getElementById(arguments[0]).style.display !== 'none'",
                               ids.PRECOMPUTE_PANEL), 10, "the precompute panel")
    page.until(lambda: "Integrated gradients" in page.text(ids.PRECOMPUTE_METHODS), 10, "the method choices")
    assert "memory" in page.text(ids.PRECOMPUTE_NOTE)       # the in-process cache is named for what it is
    checked = page.js("return Array.from(document.querySelectorAll('#' + arguments[0] + ' input:checked'))"
                      ".map(function (i) { return i.value; });", ids.PRECOMPUTE_METHODS)
    assert checked == ["integrated_gradients"]
    page.click(f"#{ids.PRECOMPUTE_START}")
    done = f"Done: Integrated gradients for all {n:,} samples of wine-mlp."
    page.until(lambda: done in page.text(ids.PRECOMPUTE_MESSAGE), 120, "the precompute job to finish")
    assert page.text(ids.PRECOMPUTE_TEXT).startswith(f"Integrated gradients: {n:,} / {n:,}")
    assert page.js("return document.getElementById(arguments[0]).style.width", ids.PRECOMPUTE_BAR) == "100%"
    assert all(page.service.cached("wine-mlp", i, "integrated_gradients") for i in range(n))
    page.driver.save_screenshot(str(Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "precompute.png")) \
        if os.environ.get("GLIMPSE_SCREENSHOTS") else None
    page.assert_clean()
