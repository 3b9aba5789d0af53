"""The sample browser on 70,000 digits and 100,000 table rows, as plain functions: one page
travels, filters and sorting on the server equal a numpy reference, the selected sample's
page is found, and paging inputs are checked at the boundary."""
from __future__ import annotations

import json

import numpy as np
import plotly
import pytest
import torch
from dash import html

from bench.large_data import mnist_70k, table_100k
from dashboard import ids
from dashboard.callbacks import browser_outputs, page_request
from dashboard.samples import PAGE_SIZE_IMAGES, PAGE_SIZE_ROWS, Filters, Thumbnails, ordered_ids
from dashboard.selection import from_link
from explain_core import Settings
from explain_core.errors import ParameterError
from glimpse.show import build_service
from tests.gated_model import Gated

N_DIGITS, N_ROWS = 70_000, 100_000


def settings_in(path) -> Settings:
    return Settings(model_store=path / "models", cache_dir=path / "cache", cache_type="simple")


@pytest.fixture(scope="module")
def digits(settings, tmp_path_factory):
    X, y = mnist_70k(settings.cache_dir)
    model = Gated(784, 10)
    service = build_service(model, X, y, title="digits", settings=settings_in(tmp_path_factory.mktemp("d")))
    yield service, service.model_ids()[0], model, X, y
    model.gate.set()


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    X, y = table_100k(N_ROWS)
    model = Gated(X.shape[1], 2)
    model.gate.set()
    service = build_service(model, X, y, title="rows", settings=settings_in(tmp_path_factory.mktemp("r")))
    yield service, service.model_ids()[0], model, X, y


def payload_bytes(value) -> int:
    return len(json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder))


def buttons(grid) -> list[int]:
    return [b.id["index"] for b in grid if isinstance(b, html.Button)]


def test_the_first_page_of_70000_digits_is_one_page_and_needs_no_full_table(digits):
    service, mid, model, X, y = digits
    assert X.shape == (N_DIGITS, 1, 28, 28) and np.shares_memory(service.dataset_for(mid).X, X)   # not copied
    assert service.outputs_status(mid)["done"] < N_DIGITS      # the gate is shut: the table is not there
    thumbs = Thumbnails(service)
    state = from_link(service, "").state                          # what the page opens on
    out = browser_outputs(service, thumbs, state, Filters(held_out=True), [], 0, ids.FOLLOW)
    grid, page, label, count, shown = out[0], out[4], out[5], out[6], out[9]
    assert len(buttons(grid)) == PAGE_SIZE_IMAGES == len(shown["ids"]) and state["sample"] in shown["ids"]
    assert (page, label, count) == (0, "page 1 of 1,750", "70,000 of 70,000 listed")
    assert payload_bytes(out) < 64_000, payload_bytes(out)         # ~28 KB: 40 thumbnails, whatever the size
    assert thumbs.computed == PAGE_SIZE_IMAGES                      # thumbnails for the visible page only
    # the thumbnails' predictions are the model's, computed for this page's rows only
    pred = model.reference(X[shown["ids"]]).argmax(1)
    titles = [b.title for b in grid if isinstance(b, html.Button)]
    assert all(f"predicted {p}" in t for t, p in zip(titles, pred))
    assert service.outputs_status(mid)["done"] < N_DIGITS


def test_filters_on_the_server_equal_numpy(digits):
    service, mid, model, X, y = digits
    pred = model.reference(X).argmax(1)
    thumbs = Thumbnails(service)
    state = {"model": mid, "sample": 0}
    wrong = ordered_ids(service, mid, Filters(misclassified=True, held_out=True))   # computes every prediction
    assert sorted(wrong.tolist()) == np.flatnonzero(pred != y).tolist()
    out = browser_outputs(service, thumbs, state, Filters(misclassified=True), [], 0, ids.FILTER_FLAGS)
    assert out[6] == f"{int((pred != y).sum()):,} of 70,000 listed"
    both = ordered_ids(service, mid, Filters(true_class=3, pred_class=5))
    assert sorted(both.tolist()) == np.flatnonzero((y == 3) & (pred == 5)).tolist()
    listed = ordered_ids(service, mid, Filters(held_out=True))
    assert y[listed[:10]].tolist() == list(range(10))                  # class-mixed, every id once
    assert np.array_equal(np.sort(listed), np.arange(N_DIGITS))
    assert service.model_info(mid).accuracy == pytest.approx(float((pred == y).mean()))


def test_the_selected_sample_opens_on_its_page(digits):
    service, mid, _, _, _ = digits
    thumbs = Thumbnails(service)
    state = from_link(service, "?sample=65000").state                  # a deep link to sample 65,000
    assert state == {"model": mid, "sample": 65_000}
    listed = ordered_ids(service, mid, Filters(held_out=True))
    at = int(np.flatnonzero(listed == 65_000)[0])
    out = browser_outputs(service, thumbs, state, Filters(held_out=True), [], 0, ids.FOLLOW)
    assert out[4] == at // PAGE_SIZE_IMAGES and buttons(out[0])[at % PAGE_SIZE_IMAGES] == 65_000
    ring = next(c for c in out[0] if getattr(c, "id", None) == ids.THUMB_RING)
    assert ring.style["gridColumn"] == f"{at % PAGE_SIZE_IMAGES % 8 + 1} / span 1"
    # paging away keeps the selection (the ring hides), going to a page typed in, past the end
    nxt = browser_outputs(service, thumbs, state, Filters(held_out=True), [], out[4], ids.PAGE_NEXT)
    assert nxt[4] == out[4] + 1 and 65_000 not in nxt[9]["ids"]
    trigger, page = page_request({f"{ids.PAGE_JUMP}.value"}, ids.PAGE_JUMP, 0, None, 3)
    third = browser_outputs(service, thumbs, state, Filters(held_out=True), [], page, trigger)
    assert third[4] == 2 and third[9]["ids"] == listed[80:120].tolist() and third[5] == "page 3 of 1,750"
    last = browser_outputs(service, thumbs, state, Filters(held_out=True), [], 10**6, ids.PAGE)
    assert last[4] == 1_749 and last[9]["ids"] == listed[-40:].tolist()


def test_100000_rows_page_sort_and_filter_on_the_server(rows):
    service, mid, model, X, y = rows
    pred = model.reference(X).argmax(1)
    thumbs = Thumbnails(service)
    state = {"model": mid, "sample": 0}
    sort = [{"column_id": "f3", "direction": "desc"}]
    trigger, page = page_request({f"{ids.SAMPLE_TABLE}.page_current"}, ids.SAMPLE_TABLE, 0, 4, None)
    out = browser_outputs(service, thumbs, state, Filters(), sort, page, trigger)
    order = np.argsort(X[:, 3], kind="stable")[::-1]
    assert [r["id"] for r in out[1]] == order[40:50].tolist()            # page 5 of the sorted rows
    assert len(out[1]) == PAGE_SIZE_ROWS and payload_bytes(out[1]) < 8_000
    assert (out[10], out[11]) == (4, 10_000)                             # the table's page_current, page_count
    assert out[12] == {"display": "none"}                                # the table pages with its own pager
    wrong = browser_outputs(service, thumbs, state, Filters(misclassified=True), [{"column_id": "p",
                                                                                    "direction": "asc"}],
                            0, ids.SAMPLE_TABLE)
    assert wrong[6] == f"{int((pred != y).sum()):,} of 100,000 listed"
    p = torch.softmax(torch.as_tensor(model.reference(X)), 1).numpy().max(1)
    listed = np.flatnonzero(pred != y)
    assert [r["id"] for r in wrong[1]] == listed[np.argsort(p[listed], kind="stable")][:10].tolist()
    # the selected row's page is found in the sorted list
    state = {"model": mid, "sample": int(order[12_345])}
    follow = browser_outputs(service, thumbs, state, Filters(), sort, 0, ids.FOLLOW)
    assert follow[4] == 12_345 // PAGE_SIZE_ROWS and state["sample"] in [r["id"] for r in follow[1]]


@pytest.mark.parametrize("props, page_current, jump, message", [
    ({f"{ids.SAMPLE_TABLE}.page_current"}, -1, None, "The table's page must be a whole number from 0"),
    ({f"{ids.SAMPLE_TABLE}.page_current"}, "2", None, "The table's page must be a whole number"),
    ({f"{ids.SAMPLE_TABLE}.page_current"}, 1.5, None, "The table's page must be a whole number"),
    ({f"{ids.PAGE_JUMP}.value"}, 0, 0, "The page to go to must be a whole number from 1"),
    ({f"{ids.PAGE_JUMP}.value"}, 0, 10**12, "The page to go to must be a whole number from 1 to 1000000000"),
    ({f"{ids.PAGE_JUMP}.value"}, 0, float("nan"), "The page to go to must be a whole number"),
])
def test_page_inputs_are_checked(props, page_current, jump, message):
    with pytest.raises(ParameterError, match=message):
        page_request(props, None, 0, page_current, jump)


def test_sort_and_filter_inputs_are_checked(rows):
    from dashboard import validate

    service, mid, _, _, _ = rows
    info = service.model_info(mid)
    with pytest.raises(ParameterError, match="no column 'f99' to sort by"):
        ordered_ids(service, mid, Filters(), [{"column_id": "f99", "direction": "asc"}])
    with pytest.raises(ParameterError, match="one column"):
        validate.sort_by([{"column_id": "f1"}, {"column_id": "f2"}])
    with pytest.raises(ParameterError, match="The true-class filter must be a whole number from 0 to 1"):
        Filters.from_inputs(2, None, [], info)
    with pytest.raises(ParameterError, match="sample filter flags"):
        Filters.from_inputs(None, None, ["everything"], info)
    assert Filters.from_inputs(1, 0, [ids.HELD_OUT], info) == Filters(1, 0, False, True)
