"""The dashboard's callbacks as plain functions of (service, inputs...), no browser."""
from __future__ import annotations

import base64

import numpy as np
import plotly.graph_objects as go
import pytest
from dash import dcc, html, no_update

from dashboard import create_app, ids
from dashboard.callbacks import browser_outputs, follow_model, select, startup_view
from dashboard.layout import tab_keys
from dashboard.params import collect_params, param_controls
from dashboard.sample_info import sample_panel, target_options, target_value
from dashboard.samples import (GRID_COLUMNS, PAGE_SIZE_IMAGES, Filters, Thumbnails, browse, filtered_ids,
                               first_held_out, ordered_ids, ring_style, step)
from dashboard.startup import progress_fraction
from dashboard.tabs import activations, gradients, lime, tree, weights
from dashboard.upload import add_torchscript, parse_shape, preview, train_csv

MODELS = ("mnist-cnn", "mnist-mlp", "breast-cancer-mlp")


# ------------------------------------------------------------------------------ helpers
def walk(component):
    yield component
    children = getattr(component, "children", None)
    if isinstance(children, (list, tuple)):
        for c in children:
            yield from walk(c)
    elif isinstance(children, str):
        yield children
    elif children is not None and not isinstance(children, (int, float)):
        yield from walk(children)


def figures(children) -> list[go.Figure]:
    roots = children if isinstance(children, (list, tuple)) else [children]
    return [c.figure for r in roots for c in walk(r) if isinstance(c, dcc.Graph)]


def alerts(children, kinds=("alert",)) -> list[str]:
    """The texts of the alerts in a rendered tab; kinds=("alert-error",): its errors only (a
    warning, such as LIME's bad-fit one, is the tab working as meant)."""
    roots = children if isinstance(children, (list, tuple)) else [children]
    return [text(c) for r in roots for c in walk(r)
            if isinstance(c, html.Div) and any(k in (getattr(c, "className", "") or "").split() for k in kinds)]


def text(component) -> str:
    return " ".join(c for c in walk(component) if isinstance(c, str)) if not isinstance(component, str) else component


def by_id(children, cid):
    roots = children if isinstance(children, (list, tuple)) else [children]
    return next(c for r in roots for c in walk(r) if getattr(c, "id", None) == cid)


def upload_value(content: bytes, mime="text/csv") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode()


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


def test_each_tab_view_holds_what_the_tab_depends_on():
    keys = dict(tab_keys())
    assert [k for k, _ in tab_keys()] == list(ids.TAB_NAMES)     # the router's outputs are in this order
    assert keys[ids.TAB_WEIGHTS] == ["model"]                    # weights: the same for every sample
    assert keys[ids.TAB_GRADIENTS] == keys[ids.TAB_LIME] == ["model", "sample", "target"]
    assert keys[ids.TAB_ACTIVATIONS] == keys[ids.TAB_TREE] == ["model", "sample"]   # no target class


# ------------------------------------------------------------------------------ tabs
def gradient_methods(service, model_id):
    return [o["value"] for o in gradients.method_options(service, service.model_info(model_id))]


@pytest.mark.parametrize("model_id", MODELS)
def test_every_tab_renders_a_figure(service, model_id):
    sample = 1
    info = service.model_info(model_id)
    rendered = {
        "activations": activations.render(service, model_id, sample, activations.default_layer(info)),
        "activations-all": activations.render(service, model_id, sample, ids.ALL_LAYERS),
        "weights": weights.render(service, model_id, weights.layer_options(info)[0]["value"]),
        "lime": lime.render(service, model_id, sample, ids.PREDICTED, 300, None),
        "tree": tree.render(service, model_id, sample, 3),
    }
    for m in gradient_methods(service, model_id):
        rendered[m] = gradients.render(service, model_id, sample, ids.PREDICTED, m, {})
    for name, children in rendered.items():
        assert alerts(children, kinds=("alert-error",)) == [], name
        assert figures(children) and all(isinstance(f, go.Figure) for f in figures(children)), name
    assert len(figures(rendered["activations-all"])) == len(service.explain(model_id, sample, "activations").layers)
    # Grad-CAM is offered exactly where there is a convolution layer (the CNN)
    assert ("gradcam" in gradient_methods(service, model_id)) == (model_id == "mnist-cnn")


def test_two_methods_side_by_side_and_ig_completeness(service):
    children = gradients.render(service, "mnist-cnn", 2, ids.PREDICTED, "integrated_gradients", {"n_steps": 64},
                                "saliency", {"abs": False})
    assert len(figures(children)) == 2 and "two" in children.className
    result = service.explain("mnist-cnn", 2, "integrated_gradients", n_steps=64)
    assert f"delta = {result.delta:.2e}" in text(children)


def test_params_built_from_the_method_spec_come_back_as_explain_arguments(service):
    info = service.model_info("mnist-cnn")
    spec = service.methods()["smoothgrad"]
    controls = param_controls("a", spec, info)
    inputs = [c for label in controls for c in walk(label) if isinstance(getattr(c, "id", None), dict)]
    shown = spec.params_for(info.kind, info.input_shape)       # a grey image: no per-channel noise choice
    assert [c.id["name"] for c in inputs] == [p.name for p in shown] == [p.name for p in spec.params][:len(shown)]
    cids, values = [c.id for c in inputs], [c.value for c in inputs]
    assert collect_params(spec, cids, values) == {p.name: p.default for p in shown}
    values[[c["name"] for c in cids].index("abs")] = []        # untick the checkbox
    values[[c["name"] for c in cids].index("n_samples")] = None  # emptied field: default
    stale = {"type": ids.PARAM, "slot": "a", "method": "integrated_gradients", "name": "n_steps"}
    got = collect_params(spec, cids + [stale], values + [10])
    assert got["abs"] is False and "n_samples" not in got and "n_steps" not in got
    gradcam = param_controls("b", service.methods()["gradcam"], info)
    layer = [c for label in gradcam for c in walk(label) if getattr(c, "id", {}) and c.id["name"] == "layer"][0]
    assert layer.options == list(info.conv_layers) and layer.value == info.conv_layers[-1]


def test_second_render_of_a_tab_is_a_cache_hit(service):
    for render in (lambda: gradients.render(service, "mnist-cnn", 11, ids.PREDICTED, "smoothgrad", {"n_samples": 9}),
                   lambda: lime.render(service, "breast-cancer-mlp", 11, ids.PREDICTED, 200, None),
                   lambda: activations.render(service, "mnist-mlp", 11, ids.ALL_LAYERS),
                   lambda: tree.render(service, "breast-cancer-mlp", 11, 2)):
        first = render()
        hits, misses = service.stats["hits"], service.stats["misses"]
        second = render()
        assert service.stats["hits"] > hits and service.stats["misses"] == misses
        assert len(figures(second)) == len(figures(first))


def test_user_errors_show_their_message_not_a_traceback(service):
    out = gradients.render(service, "mnist-cnn", 0, ids.PREDICTED, "integrated_gradients", {"n_steps": 0})
    assert alerts(out) and "n_steps" in alerts(out)[0]
    out = lime.render(service, "breast-cancer-mlp", 0, 5, 100, None)   # a class the model does not have
    assert alerts(out) and "out of range" in alerts(out)[0]
    out = tree.render(service, "wine-mlp", 10 ** 6, 3)
    assert alerts(out) and "Unknown sample" in alerts(out)[0]


# ------------------------------------------------------------------------------ uploads
def csv_bytes(n=160, seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    label = np.where(x1 + 0.5 * x2 > 0, "yes", "no")
    lines = ["x1,x2,colour,label"] + [f"{a:.3f},{b:.3f},{c},{d}" for a, b, c, d in zip(x1, x2, colour, label)]
    return ("\n".join(lines) + "\n").encode()


def test_csv_preview_lists_columns_and_target_candidates(service):
    children, options, value, disabled, tasks = preview(service, upload_value(csv_bytes()), "toy.csv")
    assert [o["value"] for o in options] == ["x1", "x2", "colour", "label"] and value == "label" and disabled is False
    assert options[0]["label"] == "x1 (regression)" and options[3]["label"] == "label (classification)"
    assert tasks == {"x1": ["regression"], "x2": ["regression"], "colour": ["classification"],
                     "label": ["classification"]}
    assert "160 rows, 4 columns" in text(html.Div(children))


def test_bad_csv_shows_its_message_and_keeps_the_current_model(service):
    before = service.model_ids()
    bad = b"a,b,c\n1,2,3\n4,5\n"
    expected = None
    try:
        service.preview_csv(bad, "bad.csv")
    except Exception as e:   # the service's own message is what the page must show
        expected = str(e)
    assert expected and "Line 3" in expected
    children, options, _, disabled, tasks = preview(service, upload_value(bad), "bad.csv")
    assert alerts(children) == [expected] and options == [] and disabled is True and tasks == {}
    progress = []
    message, added = train_csv(service, progress.append, upload_value(bad), "bad.csv", "c")
    assert alerts(message) == [expected]
    assert added is no_update                     # the selection callback is not triggered...
    assert service.model_ids() == before          # ...and no model was added
    state = {"model": "mnist-cnn", "sample": 4}
    assert select(service, ids.CSV_ADDED, None, state, True, "", Filters())[0] is no_update


def test_good_csv_trains_a_model_that_gets_selected_and_explained(service):
    reports = []
    message, model_id = train_csv(service, reports.append, upload_value(csv_bytes()), "toy.csv", "label")
    assert alerts(message) and "Trained" in alerts(message)[0]
    assert model_id in service.model_ids()
    info = service.model_info(model_id)
    assert info.kind == "tabular" and info.class_names == ("no", "yes") and info.accuracy > 0.7
    assert len(reports) >= 2 and reports[-1][1] == "Done"
    state = select(service, ids.CSV_ADDED, model_id, {"model": "mnist-cnn", "sample": 0}, True, "", Filters())[0]
    assert state["model"] == model_id and service.samples(model_id).is_test[state["sample"]]
    assert "gradcam" not in gradient_methods(service, model_id)
    for children in (activations.render(service, model_id, state["sample"], ids.ALL_LAYERS),
                     gradients.render(service, model_id, state["sample"], ids.PREDICTED, "integrated_gradients", {}),
                     lime.render(service, model_id, state["sample"], ids.PREDICTED, 200, None),
                     tree.render(service, model_id, state["sample"], 2)):
        assert alerts(children) == [] and figures(children)


def test_torchscript_upload_errors_are_shown(service):
    message, added = add_torchscript(service, upload_value(b"not a model", "application/octet-stream"),
                                     "junk.pt", "1,28,28", "", None)
    assert alerts(message) and added is no_update
    message, added = add_torchscript(service, upload_value(b"x"), "m.pt", "1,twenty,28", "", None)
    assert "1,twenty,28" in alerts(message)[0] and added is no_update
    assert parse_shape("1x28x28") == (1, 28, 28) and parse_shape("(30,)") == (30,)


def test_torchscript_upload_adds_a_model_explained_on_the_chosen_data(service):
    import io

    import torch   # the test builds a user's model file; the dashboard itself never imports torch

    torch.manual_seed(0)
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(30, 2)), buf)
    message, model_id = add_torchscript(service, upload_value(buf.getvalue(), "application/octet-stream"),
                                        "linear.pt", "30", "no, yes", "breast-cancer-mlp")
    assert alerts(message) and "Added" in alerts(message)[0]
    info = service.model_info(model_id)
    assert info.source == "torchscript" and info.class_names == ("no", "yes") and info.n_samples == 569
    children = gradients.render(service, model_id, 0, ids.PREDICTED, "gradient_x_input", {})
    assert alerts(children) == [] and len(figures(children)) == 1


# ------------------------------------------------------------------------------ start-up and app
def test_startup_progress_and_ready_switch():
    assert progress_fraction({"index": 1, "total": 4, "stage": "training", "epoch": 2, "epochs": 4}) == 0.375
    # weighted: the first model costs 6 of 9 units; half of the second done -> (6 + 1) / 9
    assert progress_fraction({"index": 1, "total": 3, "stage": "training", "epoch": 5, "epochs": 10},
                             [6, 2, 1]) == pytest.approx(7 / 9)
    assert progress_fraction({"index": 3, "total": 3, "stage": "ready"}, [6, 2, 1]) == 1.0
    style, msg, ready, disabled, panel, main, header = startup_view(
        {"ready": False, "fraction": .5, "message": "x"}, False)
    assert style == {"width": "50.0%"} and ready is no_update and disabled is False and main == {"display": "none"}
    _, _, ready, disabled, panel, main, header = startup_view({"ready": True}, False)
    assert ready is True and disabled is True and panel == {"display": "none"} and main == {} and header == {}
    _, msg, ready, *_ = startup_view({"ready": False, "error": "Disk full"}, False)
    assert alerts(msg) == ["Disk full"] and ready is False


def test_app_layout_has_every_id_and_serves(service, tmp_path):
    import diskcache
    from dash import DiskcacheManager

    app = create_app(service, DiskcacheManager(diskcache.Cache(str(tmp_path))), start=False)
    found = {c.id for c in walk(app.layout) if isinstance(getattr(c, "id", None), str)}
    wanted = {v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)} - {
        ids.THUMB, ids.PARAM, ids.PREDICTED, ids.SAMPLE_TRUE, ids.SAMPLE_PRED, ids.ALL_LAYERS, ids.NO_METHOD, ids.MISCLASSIFIED, ids.HELD_OUT,
        ids.SAMPLE_ERROR,
        *ids.TAB_NAMES, *ids.RENDERED}
    assert wanted <= found, wanted - found
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    assert app.glimpse_startup.wait(60) is True


def test_the_map_waits_for_its_methods_controls_and_a_model_switch_keeps_the_methods(service):
    specs, info = service.methods(), service.model_info("mnist-cnn")
    ig = specs["integrated_gradients"]
    # right after a switch to IG the page still shows saliency's controls: wait for IG's
    saliency_controls = [{"type": ids.PARAM, "slot": "a", "method": "saliency", "name": "abs"}]
    assert not gradients.controls_ready(ig, info, saliency_controls)
    assert not gradients.controls_ready(ig, info, [])
    ig_controls = [c.id for c in walk(html.Div(param_controls("a", ig, info)))
                   if isinstance(getattr(c, "id", None), dict)]
    assert gradients.controls_ready(ig, info, ig_controls)
    # the pickers keep a method the new model offers without writing it again
    assert gradients.kept_methods("saliency", ids.NO_METHOD, {"saliency", ids.NO_METHOD}) == (no_update, no_update)
    assert gradients.kept_methods("gradcam", "gradcam", {"saliency", ids.NO_METHOD}) == \
        (gradients.DEFAULT_METHOD, ids.NO_METHOD)


def test_startup_prepares_the_first_view_and_a_failing_warm_up_does_not_block_it(service):
    from dashboard.startup import Startup

    seen = []

    def before(svc):
        seen.append(("before", st.status()["ready"], st.status()["done"]))

    def broken(svc):
        seen.append(("after", st.status()["ready"], st.status()["done"]))
        raise RuntimeError("warm-up failed")

    st = Startup(service, before_ready=(before,), after_ready=(broken,)).start()
    assert st.wait(60) is True
    # `done` only once the thread has finished its work after `ready` too (a test measuring
    # a worker's memory waits for it)
    assert seen == [("before", False, False), ("after", True, False)]
    assert st.status()["error"] is None and st.status()["done"] is True


def test_warm_start_shows_the_page_after_the_default_model_and_loads_the_rest_behind_it(settings):
    from dashboard.sample_info import model_options
    from dashboard.startup import Startup
    from explain_core import ExplanationService

    svc = ExplanationService(settings)          # models stored by the session fixture, none loaded
    assert svc.models_stored()
    options = model_options(svc)
    assert [o["value"] for o in options][:len(svc.specs)] == list(svc.specs)
    assert not set(svc._models) & set(svc.specs)           # listing loads no default model (uploads: their cards)
    assert options[0]["label"] == "MNIST CNN (images)"
    loaded_at_ready = []
    st = Startup(svc, before_ready=(lambda s: loaded_at_ready.append(sorted(s._models)),), after_ready=()).start()
    assert st.wait(120) is True
    assert [[m for m in at if m in svc.specs] for at in loaded_at_ready] == [["mnist-cnn"]]
    assert set(svc.specs) <= set(svc._models)                   # the others were loaded after the page showed
    assert model_options(svc) == options


def test_a_new_sample_is_redrawn_in_place_when_only_figures_and_texts_change(service):
    from dashboard.components import in_place_updates, redraw, skeleton

    a = gradients.render(service, "mnist-cnn", 1, ids.PREDICTED, "integrated_gradients", {})
    b = gradients.render(service, "mnist-cnn", 2, ids.PREDICTED, "integrated_gradients", {})
    assert skeleton(a) == skeleton(b)
    updates = dict(in_place_updates(b))
    assert set(updates) == {"map-a", "map-note-a", "map-note-a-tech"}
    assert updates["map-a"]["figure"] is figures(b)[0] and "Completeness" in updates["map-note-a"]["children"]
    # another shape (a second pane, an error, a text without an id) is drawn anew
    two = gradients.render(service, "mnist-cnn", 1, ids.PREDICTED, "integrated_gradients", {}, "saliency", {})
    assert skeleton(two) != skeleton(a)
    assert skeleton(html.Div("one")) != skeleton(html.Div("two"))
    assert skeleton(html.Div("one", id="x")) == skeleton(html.Div("two", id="x"))
    children, shape = redraw(a, None)
    assert children is a and shape == skeleton(a)
