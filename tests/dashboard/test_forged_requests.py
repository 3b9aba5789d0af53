"""Forged bodies POSTed to /_dash-update-component, as anyone can send them: for every
server callback of the page (enumerated from app.callback_map, so a new callback is
covered without touching this file) and every hostile value, no answer is a 500 or a
traceback; where a value is refused, the page's message names the parameter."""
from __future__ import annotations

import json
import logging

import diskcache
import pytest
from dash import DiskcacheManager

from dashboard import create_app, ids

DISPATCH = "/_dash-update-component"
HOSTILE = [float("inf"), float("-inf"), float("nan"), -1, 10 ** 30, 1.5, True, "abc", "", "Infinity",
           [], [1, "x"], {}, {"a": 1}, None, "x" * 5000]
VIEW = {"model": "mnist-cnn", "sample": 3, "target": ids.PREDICTED}
# What the page would send for each input: the hostile values replace one of them at a time.
PLAUSIBLE = {
    "ready.data": True, "url-applied.data": True, "url.search": "?model=mnist-cnn&sample=3",
    ids.STATE + ".data": {"model": "mnist-cnn", "sample": 3}, "model-id.data": "mnist-cnn",
    "model-select.value": "mnist-mlp", "filter-flags.value": [ids.HELD_OUT], "sample-table.sort_by": [],
    "page.data": 0, "method-a.value": "saliency", "method-b.value": ids.NO_METHOD, "lime-samples.value": 60,
    "tree-depth.value": 2, "precompute-methods.value": ["saliency"], "ts-shape.value": "1,28,28",
    **{f"{ids.view(t)}.data": VIEW for t in ids.TAB_NAMES},
}
PARAM_A = {"type": ids.PARAM, "slot": "a", "method": "saliency", "name": "abs"}


@pytest.fixture(scope="module")
def app(service, tmp_path_factory):
    return create_app(service, DiskcacheManager(diskcache.Cache(str(tmp_path_factory.mktemp("bg")))), start=False)


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def server_callbacks(app) -> list[dict]:
    """Every callback that runs on the server. Background callbacks (CSV training) start a
    job instead of answering; their inputs are the upload panel's (tests/core/test_uploads.py)."""
    return [{**cb, "output": out} for out, cb in app.callback_map.items()
            if "callback" in cb and not cb.get("background")]


def tab_of(output: str) -> str:
    return next((t for t in ids.TAB_NAMES if f"{ids.output(t)}." in output), ids.TAB_GRADIENTS)


def plausible(dep: dict, output: str):
    key = f"{dep['id']}.{dep['property']}"
    if key == f"{ids.TABS}.value":
        return tab_of(output)
    return PLAUSIBLE.get(key)


class Entries(list):
    """Pattern-matched entries given as they are sent (ids and values of several controls)."""


def entry(dep: dict, value, output: str):
    """One input/state entry as the renderer sends it; a pattern (ALL) input is a list."""
    if isinstance(value, Entries):
        return list(value)
    if not dep["id"].startswith("{"):
        return {"id": dep["id"], "property": dep["property"], "value": value}
    pattern = json.loads(dep["id"])
    if pattern.get("type") != ids.PARAM:      # other patterns: one matching component
        concrete = {k: (1 if v == ["ALL"] else v) for k, v in pattern.items()}
        return [{"id": concrete, "property": dep["property"], "value": value}]
    concrete = {**PARAM_A, "slot": pattern["slot"]}
    if pattern["slot"] != "a":
        return []
    return [{"id": concrete, "property": dep["property"], "value": concrete if dep["property"] == "id" else value}]


def outputs(output: str):
    def one(part):
        id_, prop = part.rsplit(".", 1)
        if id_.startswith("{"):        # a pattern output (ALL): the renderer sends one entry per component
            concrete = {k: (0 if v == ["ALL"] else v) for k, v in json.loads(id_).items()}
            return [{"id": concrete, "property": prop}]
        return {"id": id_, "property": prop}
    return [one(p) for p in output[2:-2].split("...")] if output.startswith("..") else one(output)


def body(cb: dict, values: list, trigger: int = 0) -> dict:
    deps = cb["inputs"] + cb["state"]
    items = [entry(d, v, cb["output"]) for d, v in zip(deps, values)]
    n_in = len(cb["inputs"])
    changed = cb["inputs"][min(trigger, n_in - 1)] if n_in else None
    return {"output": cb["output"], "outputs": outputs(cb["output"]), "inputs": items[:n_in],
            "state": items[n_in:], "changedPropIds": [f"{changed['id']}.{changed['property']}"] if changed else []}


def post(client, payload, raw: bool = False):
    data = payload if raw else json.dumps(payload)   # json.dumps writes NaN/Infinity as JSON.parse would not,
    return client.post(DISPATCH, data=data, content_type="application/json")   # but a forger may


def assert_served(response, what):
    text = response.get_data(as_text=True)
    assert response.status_code < 500, (what, response.status_code, text[:300])
    assert "Traceback" not in text and "<html" not in text.lower(), (what, text[:300])


# ------------------------------------------------------------------------------ every callback
def test_the_page_has_the_callbacks_this_test_is_meant_to_reach(app):
    outs = " ".join(cb["output"] for cb in server_callbacks(app))
    for wanted in (ids.output(ids.TAB_GRADIENTS), ids.output(ids.TAB_LIME), ids.output(ids.TAB_TREE),
                   ids.SELECTION_ALERT, ids.SAMPLE_INFO, ids.THUMB_GRID, ids.PRECOMPUTE_BAR, ids.MODEL_CARD):
        assert wanted in outs
    assert len(server_callbacks(app)) >= 20


def test_plausible_requests_are_served(app, client):
    for cb in server_callbacks(app):
        values = [plausible(d, cb["output"]) for d in cb["inputs"] + cb["state"]]
        r = post(client, body(cb, values))
        assert_served(r, cb["output"])
        assert r.status_code in (200, 204), (cb["output"], r.status_code)


def test_every_hostile_value_in_every_input_of_every_callback(app, client, caplog):
    """Each refusal is a validator's (a named message), not the generic handler's: no
    callback fails with an unexpected exception (logged at ERROR by dashboard/errors.py)."""
    tried, told = 0, 0
    caplog.set_level(logging.INFO, logger="glimpse.errors")
    for cb in server_callbacks(app):
        deps = cb["inputs"] + cb["state"]
        base = [plausible(d, cb["output"]) for d in deps]
        for i, dep in enumerate(deps):
            variants = list(HOSTILE)
            if isinstance(base[i], dict):      # a selection or view: each key hostile in turn
                variants += [{**base[i], k: h} for k in base[i] for h in HOSTILE]
                variants += [{k: v for k, v in base[i].items() if k != drop} for drop in base[i]]
            for h in variants:
                values = base[:i] + [h] + base[i + 1:]
                r = post(client, body(cb, values, trigger=i))
                assert_served(r, (cb["output"], dep, h))
                tried += 1
                told += ids.PAGE_MESSAGE in r.get_data(as_text=True) or "alert" in r.get_data(as_text=True)
    failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failed == []
    assert tried > 1000 and told > tried // 3, (tried, told)


def test_structural_forgeries_get_a_400_with_a_message(app, client):
    cb = next(c for c in server_callbacks(app) if ids.output(ids.TAB_TREE) in c["output"])
    good = body(cb, [plausible(d, cb["output"]) for d in cb["inputs"] + cb["state"]])
    forgeries = {
        "unknown output": {**good, "output": "nope.children"},
        "no output": {k: v for k, v in good.items() if k != "output"},
        "output not a string": {**good, "output": ["x"]},
        "missing inputs": {k: v for k, v in good.items() if k != "inputs"},
        "missing state": {k: v for k, v in good.items() if k != "state"},
        "one input too few": {**good, "inputs": good["inputs"][:-1]},
        "inputs a dict": {**good, "inputs": {"a": 1}},
        "input not an object": {**good, "inputs": [5] + good["inputs"][1:]},
        "input of another component": {**good, "inputs": [{"id": "url", "property": "search", "value": ""}]
                                       + good["inputs"][1:]},
        "input without property": {**good, "inputs": [{"id": good["inputs"][0]["id"], "value": 1}]
                                   + good["inputs"][1:]},
        "outputs of another callback": {**good, "outputs": [{"id": "url", "property": "search"}] * 2},
        "outputs missing": {k: v for k, v in good.items() if k != "outputs"},
        "changedPropIds not a list": {**good, "changedPropIds": 5},
        "changedPropIds of lists": {**good, "changedPropIds": [[1]]},
        "body a list": [good],
        "body a string": "hello",
        "body null": None,
    }
    for what, payload in forgeries.items():
        r = post(client, payload)
        text = r.get_data(as_text=True)
        assert r.status_code == 400 and r.mimetype == "text/plain", (what, r.status_code, text[:200])
        ref = r.headers["X-Glimpse-Ref"]
        assert text.startswith(f"This request does not fit this page (ref {ref}): ") and len(ref) == 6, what
    for raw in (b"{not json", b"\xff\xfe", b"", b"[" * 100_000):
        r = post(client, raw, raw=True)
        assert r.status_code == 400, (raw[:10], r.status_code)


# ------------------------------------------------------------------------- the messages
def call(client, app, output_part: str, **values):
    """POST to the callback whose output names `output_part`, with plausible values and
    `values` ({"<component id>.<property>": value}) in place; the response's text."""
    cb = next(c for c in server_callbacks(app) if output_part in c["output"])
    deps = cb["inputs"] + cb["state"]
    keyed = [values.get(f"{d['id']}.{d['property']}", plausible(d, cb["output"])) for d in deps]
    trigger = next((i for i, d in enumerate(cb["inputs"]) if f"{d['id']}.{d['property']}" in values), 0)
    r = post(client, body(cb, keyed, trigger))
    assert_served(r, output_part)
    return r.status_code, r.get_data(as_text=True)


def ig_controls(value, name="n_steps"):
    """The first map on integrated gradients with one control, `name`, holding `value`."""
    cid = {"type": ids.PARAM, "slot": "a", "method": "integrated_gradients", "name": name}
    return {"method-a.value": "integrated_gradients",
            _pattern("a", "value"): Entries([{"id": cid, "property": "value", "value": value}]),
            _pattern("a", "id"): Entries([{"id": cid, "property": "id", "value": cid}])}


def _pattern(slot, prop):
    return json.dumps({"method": ["ALL"], "name": ["ALL"], "slot": slot, "type": ids.PARAM},
                      separators=(",", ":"), sort_keys=True) + "." + prop


@pytest.mark.parametrize("output, values, named", [
    (ids.output(ids.TAB_LIME), {"lime-kernel.value": float("nan")}, "kernel_width"),
    (ids.output(ids.TAB_LIME), {"lime-kernel.value": float("inf")}, "kernel_width"),
    (ids.output(ids.TAB_LIME), {"lime-samples.value": "many"}, "n_samples"),
    (ids.output(ids.TAB_LIME), {"lime-samples.value": 10 ** 9}, "n_samples"),
    (ids.output(ids.TAB_TREE), {"tree-depth.value": "deep"}, "max_depth"),
    (ids.output(ids.TAB_TREE), {"tree-depth.value": float("inf")}, "max_depth"),
    (ids.output(ids.TAB_TREE), {"tree-depth.value": 2.5}, "max_depth"),
    (ids.output(ids.TAB_GRADIENTS), {"method-a.value": "magic"}, "method"),
    (ids.output(ids.TAB_LIME), {f"{ids.view(ids.TAB_LIME)}.data": {**VIEW, "target": "abc"}}, "target class"),
    (ids.output(ids.TAB_LIME), {f"{ids.view(ids.TAB_LIME)}.data": {**VIEW, "target": 10}}, "Target class 10"),
    (ids.output(ids.TAB_TREE), {f"{ids.view(ids.TAB_TREE)}.data": {**VIEW, "sample": float("inf")}},
     "Unknown sample"),
    (ids.output(ids.TAB_TREE), {f"{ids.view(ids.TAB_TREE)}.data": {**VIEW, "sample": 5000}}, "0..4999"),
    (ids.output(ids.TAB_TREE), {f"{ids.view(ids.TAB_TREE)}.data": {**VIEW, "model": "no-such-model"}},
     "Unknown model"),
    (ids.output(ids.TAB_TREE), {f"{ids.view(ids.TAB_TREE)}.data": {**VIEW, "model": ["mnist-cnn"]}},
     "Unknown model"),
    (ids.MODEL_CARD, {"model-id.data": "../../etc/passwd"}, "Unknown model"),
    (ids.MODEL_CARD, {"model-id.data": 7}, "Unknown model"),
    (ids.THUMB_GRID, {"filter-true.value": "abc"}, "true-class filter"),
    (ids.THUMB_GRID, {"filter-flags.value": ["everything"]}, "filter flags"),
    (ids.THUMB_GRID, {"sample-table.sort_by": [{"column_id": 5}]}, "sort order"),
    (ids.THUMB_GRID, {"page.data": float("nan")}, "browser page"),
    (ids.SAMPLE_INFO, {f"{ids.STATE}.data": {"model": "mnist-cnn", "sample": -1}}, "Unknown sample"),
    (ids.PRECOMPUTE_BAR, {"precompute-start.n_clicks": 1, "precompute-methods.value": 5}, "methods to precompute"),
    (ids.METHOD_A + ".options", {"model-id.data": "mnist-cnn", "method-a.value": ["saliency"]}, "method"),
])
def test_a_refused_value_is_named_in_the_page(app, client, output, values, named):
    status, text = call(client, app, output, **values)
    assert status == 200 and named in text, text[:500]


@pytest.mark.parametrize("value, named", [(float("inf"), "n_steps"), (float("nan"), "n_steps"), ("fifty", "n_steps"),
                                          (True, "n_steps"), (10 ** 30, "n_steps")])
def test_a_refused_method_parameter_is_named_in_the_tab(app, client, value, named):
    status, text = call(client, app, ids.output(ids.TAB_GRADIENTS), **ig_controls(value))
    assert status == 200 and named in text and "must be" in text, text[:500]


def test_a_bug_in_a_callback_shows_a_reference_and_logs_the_traceback(app, client, service, monkeypatch, caplog):
    def broken(*a, **kw):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(service, "model_info", broken)
    with caplog.at_level(logging.ERROR, logger="glimpse.errors"):
        status, text = call(client, app, ids.MODEL_CARD)
    assert status == 200
    answer = json.loads(text)
    message = json.dumps(answer["sideUpdate"][ids.PAGE_MESSAGE])
    assert "Something went wrong (ref " in message and "the disk is on fire" not in message
    ref = message.split("(ref ")[1][:6]
    record = next(r for r in caplog.records if ref in r.getMessage())
    assert record.exc_info and "the disk is on fire" in str(record.exc_info[1])
    assert "response" not in answer or not answer["response"]     # the outputs are left as they were


def test_any_other_500_is_a_short_message_with_a_reference(service, tmp_path, caplog):
    app = create_app(service, DiskcacheManager(diskcache.Cache(str(tmp_path))), start=False)

    @app.server.route("/_test/boom")
    def boom():
        raise KeyError("secret internals")

    with caplog.at_level(logging.ERROR, logger="glimpse.errors"):
        r = app.server.test_client().get("/_test/boom")
    ref, text = r.headers["X-Glimpse-Ref"], r.get_data(as_text=True)
    assert r.status_code == 500 and r.mimetype == "text/plain"
    assert text == f"Something went wrong (ref {ref}); the server log has the details."
    assert any(ref in rec.getMessage() and rec.exc_info for rec in caplog.records)
