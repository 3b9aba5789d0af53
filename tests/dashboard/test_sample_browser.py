"""The sample browser's callbacks as plain functions (no browser): the selected sample,
filters, thumbnail pages, the table, and stepping through the listed samples."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
from dash import html, no_update

from dashboard import ids
from dashboard.callbacks import browser_outputs, follow_model, select
from dashboard.sample_info import sample_panel, target_options, target_value
from dashboard.samples import (GRID_COLUMNS, PAGE_SIZE_IMAGES, Filters, Thumbnails, browse, filtered_ids,
                               first_held_out, ordered_ids, ring_style, step)
from tests.dashboard.rendered import by_id, text

MODELS = ("mnist-cnn", "mnist-mlp", "breast-cancer-mlp")


@pytest.fixture(scope="module")
def thumbs(service):
    return Thumbnails(service)


def held_out_misclassified(service, model_id):
    t = service.samples(model_id)
    return np.flatnonzero((t.labels != t.predictions) & t.is_test)


# ------------------------------------------------------------------------ the selected sample
@pytest.mark.parametrize("model_id", MODELS)
def test_selected_sample_shows_its_label_and_prediction(service, thumbs, model_id):
    t = service.samples(model_id)
    names = service.model_info(model_id).class_names
    wrong = np.flatnonzero(t.labels != t.predictions)
    for i in ([int(wrong[0])] if len(wrong) else []) + [3]:
        children, fig = sample_panel(service, thumbs, model_id, i)
        assert by_id(children, ids.SAMPLE_TRUE).children == names[t.labels[i]]
        assert by_id(children, ids.SAMPLE_PRED).children == names[t.predictions[i]]
        assert ("✗ wrong" in text(html.Div(children))) == (t.labels[i] != t.predictions[i])
        assert isinstance(fig, go.Figure)


def test_target_picker_lists_every_class_and_defaults_to_predicted(service):
    opts = target_options(service.model_info("breast-cancer-mlp"))
    assert [o["value"] for o in opts] == [ids.PREDICTED, 0, 1]
    assert target_value(ids.PREDICTED) is None and target_value(1) == 1


# ------------------------------------------------------------------------ browser: filters, pages
def test_misclassified_filter_returns_exactly_the_misclassified_held_out_ids(service, thumbs):
    for model_id in ("mnist-cnn", "breast-cancer-mlp"):
        expected = held_out_misclassified(service, model_id)
        f = Filters(misclassified=True, held_out=True)
        assert np.array_equal(filtered_ids(service.samples(model_id), f), expected)
        listed, page = [], 0
        while True:   # every page of the browser, as the user would page through them
            view = browse(service, thumbs, model_id, None, f, page, follow_selection=False)
            listed += view.page_ids
            if view.page + 1 >= view.n_pages:
                break
            page += 1
        assert sorted(listed) == expected.tolist() and len(set(listed)) == len(listed)


def test_digits_are_listed_class_mixed_with_their_ids_kept(service, thumbs):
    t = service.samples("mnist-cnn")
    f = Filters(held_out=True)
    listed = ordered_ids(service, "mnist-cnn", f)
    assert sorted(listed.tolist()) == filtered_ids(t, f).tolist()       # the same ids, each once
    first_page = browse(service, thumbs, "mnist-cnn", None, f, 0, follow_selection=False).page_ids
    assert set(t.labels[list(first_page)]) == set(range(10))            # not a page of zeros
    assert t.labels[listed[:10]].tolist() == list(range(10))            # one of each class per round
    for c in range(10):                                                 # each class keeps id order
        of_c = listed[t.labels[listed] == c]
        assert (np.diff(of_c) > 0).all()
    assert first_held_out(service, "mnist-cnn") == int(listed[0])       # a model opens on the first listed
    # a table keeps id order
    assert ordered_ids(service, "breast-cancer-mlp", Filters()).tolist() == list(range(569))


def test_class_filters(service):
    t = service.samples("mnist-cnn")
    ids_ = filtered_ids(t, Filters.from_inputs(3, 5, []))
    assert len(ids_) > 0 and (t.labels[ids_] == 3).all() and (t.predictions[ids_] == 5).all()
    assert len(ids_) == int(((t.labels == 3) & (t.predictions == 5)).sum())


def thumb_buttons(grid):
    return [b for b in grid if isinstance(b, html.Button)]


def ring(grid):
    return next(c for c in grid if getattr(c, "id", None) == ids.THUMB_RING)


def test_paging_through_thumbnails(service, thumbs):
    t = service.samples("mnist-cnn")
    f = Filters(held_out=True)
    held = ordered_ids(service, "mnist-cnn", f)
    state = {"model": "mnist-cnn", "sample": int(held[0])}
    out = browser_outputs(service, thumbs, state, f, [], 0, ids.PAGE_NEXT)
    grid, page, label, shown = out[0], out[4], out[5], out[9]
    assert page == 1 and label == f"page 2 of {-(-len(held) // PAGE_SIZE_IMAGES)}"
    buttons = thumb_buttons(grid)
    assert [b.id["index"] for b in buttons] == held[PAGE_SIZE_IMAGES:2 * PAGE_SIZE_IMAGES].tolist()
    assert shown == {"model": "mnist-cnn", "kind": "image", "ids": [b.id["index"] for b in buttons]}
    # one component a thumbnail: the digit is the button's background, no <img> child
    assert all(b.children is None and b.style["backgroundImage"].startswith("url(data:image/png;base64,")
               for b in buttons)
    assert ring(grid).style == {"display": "none"}     # the selection is on page 1, not 2
    assert browser_outputs(service, thumbs, state, f, [], 0, ids.PAGE_PREV)[4] == 0   # no page -1
    # the page follows the selection: sample number 100 of the held-out list is on page 100 // 40,
    # and the ring sits over its cell (row 100 % 40 // 8, column 100 % 8, counted from 1)
    state = {"model": "mnist-cnn", "sample": int(held[100])}
    out = browser_outputs(service, thumbs, state, f, [], 0, ids.FOLLOW)
    assert out[4] == 100 // PAGE_SIZE_IMAGES
    assert thumb_buttons(out[0])[100 % PAGE_SIZE_IMAGES].id["index"] == held[100]
    assert ring(out[0]).style == ring_style(100 % 40) == {"gridRow": f"{100 % 40 // 8 + 1} / span 1",
                                                          "gridColumn": f"{100 % 8 + 1} / span 1"}
    assert not any("selected" in b.className for b in thumb_buttons(out[0]))   # the ring marks it


def test_ring_style_places_the_ring_over_a_grid_cell():
    assert ring_style(None) == {"display": "none"}
    assert ring_style(0) == {"gridRow": "1 / span 1", "gridColumn": "1 / span 1"}
    assert ring_style(GRID_COLUMNS + 2) == {"gridRow": "2 / span 1", "gridColumn": "3 / span 1"}


def test_thumbnails_are_computed_once(service):
    th = Thumbnails(service)
    a = th.uri("mnist-cnn", 5)
    assert th.uri("mnist-cnn", 5) == a and th.computed == 1


def test_tabular_table_is_paged_sorted_and_marks_the_selection(service, thumbs):
    info = service.model_info("breast-cancer-mlp")
    X = service.dataset_for("breast-cancer-mlp").X
    state = {"model": "breast-cancer-mlp", "sample": 0}
    sort = [{"column_id": "f0", "direction": "desc"}]
    out = browser_outputs(service, thumbs, state, Filters(), sort, 0, ids.SAMPLE_TABLE)
    rows, columns, styles = out[1], out[2], out[3]
    assert thumb_buttons(out[0]) == [] and out[7] == {"display": "none"} and out[8] == {}
    assert out[9] == {"model": "breast-cancer-mlp", "kind": "tabular", "ids": [r["id"] for r in rows]}
    assert len(rows) == 10 and [c["name"] for c in columns][5:] == list(info.feature_names)
    assert [r["f0"] for r in rows] == sorted((r["f0"] for r in rows), reverse=True)
    assert rows[0]["f0"] == pytest.approx(float(X[:, 0].max()), rel=1e-3)
    assert any(s["if"].get("filter_query") == "{id} = 0" for s in styles)
    # selecting a row (the page asks to follow the selection) keeps the page that shows it
    pos = int(np.flatnonzero(np.argsort(-X[:, 0], kind="stable") == 0)[0])
    out = browser_outputs(service, thumbs, state, Filters(), sort, 0, ids.FOLLOW)
    assert 0 in [r["id"] for r in out[1]] and out[4] == pos // 10


def test_prev_next_step_through_the_listed_samples(service):
    f = Filters(held_out=True)
    held = ordered_ids(service, "mnist-cnn", f)     # in the order the browser lists them
    state = {"model": "mnist-cnn", "sample": int(held[0])}
    out = select(service, ids.SAMPLE_NEXT, 1, state, True, "", f)
    assert out[0] == {"model": "mnist-cnn", "sample": int(held[1])}
    assert select(service, ids.SAMPLE_PREV, 1, state, True, "", f)[0] is no_update   # already the first
    train_id = int(np.flatnonzero(~service.samples("mnist-cnn").is_test)[0])
    assert step(held, train_id, 1) == int(held[held > train_id].min())   # hidden by filters: the next id above


def test_the_server_moves_the_selection_for_the_model_picker_not_for_clicks(service):
    state = {"model": "mnist-cnn", "sample": 0}
    # thumbnail and table clicks are handled in the page (assets/clientside.js pick; tests/e2e)
    assert select(service, {"type": ids.THUMB, "index": 7}, 1, state, True, "", Filters())[0] is no_update
    assert select(service, ids.SAMPLE_TABLE, {"row_id": 57}, state, True, "", Filters())[0] is no_update
    out = select(service, ids.MODEL_SELECT, "wine-mlp", state, True, "", Filters())
    first = int(np.flatnonzero(service.samples("wine-mlp").is_test)[0])
    assert out[0] == {"model": "wine-mlp", "sample": first}
    # the model store, the picker and the table's active cell follow a new model only
    assert follow_model(state, out[0], ids.MODEL_SELECT) == (no_update, None, "wine-mlp")
    assert follow_model(state, out[0], ids.CSV_ADDED) == ("wine-mlp", None, "wine-mlp")
    assert follow_model(state, {"model": "mnist-cnn", "sample": 3}, ids.SAMPLE_NEXT) == (no_update,) * 3
