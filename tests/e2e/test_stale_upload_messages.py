"""Upload messages that outlived what they were about (issue 12 point 10), in the browser:
a training result stayed under the next file chosen, and 'It is now selected' stayed after
another model was picked. dashboard/stale_messages.py clears them; each test fails without it."""
from __future__ import annotations

import pytest

from dashboard import ids
from explain_core.errors import DataError
from tests.e2e.test_links_and_uploads import breast_cancer_csv, upload_and_train  # noqa: F401  (a fixture)

TRAINED = "It is now selected"


def trained(page) -> str:
    page.until(lambda: "Trained" in page.text(ids.CSV_MESSAGE), 180, "the training to finish")
    return page.text(ids.CSV_MESSAGE)


def test_a_new_file_clears_the_last_files_message(glimpse, breast_cancer_csv, tmp_path):  # noqa: F811
    page, service = glimpse, glimpse.service
    page.open()
    upload_and_train(page, breast_cancer_csv, "569 rows, 31 columns", "diagnosis")
    assert "breast_cancer.csv → diagnosis" in trained(page)
    bad = tmp_path / "one_column.csv"
    bad.write_text("x\n1\n2\n3\n")
    with pytest.raises(DataError) as e:
        service.preview_csv(bad.read_bytes(), bad.name)
    page.upload(ids.CSV_UPLOAD, bad)
    page.until(lambda: str(e.value) in page.text(ids.CSV_PREVIEW), 30, "the new file's message")
    page.idle()
    # the message about the last file (trained, selected) is gone: only the new file's is shown
    assert page.text(ids.CSV_MESSAGE) == ""
    assert "Trained" not in page.text(ids.UPLOAD_PANEL)
    page.upload(ids.CSV_UPLOAD, breast_cancer_csv)      # and a good file after the bad one: its preview only
    page.until(lambda: "569 rows, 31 columns" in page.text(ids.CSV_PREVIEW), 30, "the good file's preview")
    page.idle()
    assert str(e.value) not in page.text(ids.UPLOAD_PANEL) and page.text(ids.CSV_MESSAGE) == ""
    page.assert_clean()


def test_switching_models_clears_it_is_now_selected(glimpse, breast_cancer_csv):  # noqa: F811
    page = glimpse
    page.open()
    upload_and_train(page, breast_cancer_csv, "569 rows, 31 columns", "diagnosis")
    assert TRAINED in trained(page)
    page.until(lambda: page.model_label().startswith("breast_cancer.csv → diagnosis"), 30, "the new model selected")
    page.choose(ids.MODEL_SELECT, "MNIST CNN")
    page.until(lambda: page.model_label().startswith("MNIST CNN"), 30, "the MNIST CNN selected")
    page.until(lambda: TRAINED not in page.text(ids.UPLOAD_PANEL), 10, "the panel no longer naming the CSV model")
    page.idle()
    assert page.text(ids.CSV_MESSAGE) == ""
    page.choose(ids.MODEL_SELECT, "breast_cancer.csv")   # back to the trained model: the old message stays gone
    page.until(lambda: page.model_label().startswith("breast_cancer.csv"), 30, "the CSV model again")
    page.idle()
    assert page.text(ids.CSV_MESSAGE) == ""
    page.assert_clean()
