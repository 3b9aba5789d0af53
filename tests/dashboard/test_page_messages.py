"""Issue 12's stale, silent and jargon messages as plain functions: each test reproduces what
the page used to say (or not say) and fails on it."""
from __future__ import annotations

import pytest
from dash import html, no_update
from dash.exceptions import PreventUpdate

from dashboard import ids


def texts(node) -> str:
    if isinstance(node, (list, tuple)):
        return " ".join(texts(c) for c in node)
    if isinstance(node, str):
        return node
    children = getattr(node, "children", None)
    return texts(children) if children is not None else ""


def test_a_new_file_clears_the_last_files_message():
    from dashboard.stale_messages import after_new_file

    assert after_new_file("data:text/csv;base64,AAAA") is None
    with pytest.raises(PreventUpdate):       # the field emptied: nothing to clear
        after_new_file(None)


def test_it_is_now_selected_goes_when_another_model_is():
    from dashboard.stale_messages import after_model_switch

    assert after_model_switch("mnist-cnn", "csv-1", None) == (None, no_update)
    assert after_model_switch("csv-1", "csv-1", "ts-2") == (no_update, None)
    assert after_model_switch("ts-2", None, "ts-2") == (no_update, no_update)


def test_a_link_to_a_missing_model_shows_the_held_out_sample_it_names(service):
    from dashboard.samples import first_held_out
    from dashboard.selection import from_link

    sel = from_link(service, "?model=nope&sample=3")
    first = first_held_out(service, "mnist-cnn")
    assert sel.state == {"model": "mnist-cnn", "sample": first}            # not training sample 3
    assert service.sample("mnist-cnn", sel.state["sample"]).is_test
    words = texts(sel.message)
    assert "'nope'" in words and f"#{first}" in words and "first held-out sample" in words
    sel = from_link(service, "?model=mnist-cnn&sample=999999")
    assert sel.state["sample"] == first and f"#{first}" in texts(sel.message)


def test_a_filter_that_hides_the_selection_says_so(service):
    from dashboard.callbacks import listed_text
    from dashboard.samples import Filters, Thumbnails, browse

    info = service.model_info("mnist-cnn")
    label = int(service.sample("mnist-cnn", 42).label)
    view = browse(service, Thumbnails(service), "mnist-cnn", 42, Filters(true_class=(label + 1) % 10), 0)
    assert view.hides_selection
    assert "#42 is not among them" in texts(listed_text(view, info, 42))
    view = browse(service, Thumbnails(service), "mnist-cnn", 42, Filters(true_class=label), 0)
    assert not view.hides_selection and "not among" not in texts(listed_text(view, info, 42))


def test_number_fields_carry_no_bounds_the_browser_would_turn_into_the_default(service):
    from dashboard.params import param_controls
    from dashboard.tabs import lime

    info = service.model_info("mnist-cnn")
    spec = service.methods()["integrated_gradients"]
    labels = param_controls("a", spec, info)
    steps = [lab for lab in labels if lab.children[0] == "steps"][0]
    field = steps.children[1]
    assert getattr(field, "min", None) is None and getattr(field, "max", None) is None
    assert field.type == "text" and field.value == "auto"     # IG's steps: "auto" or a number (no browser bounds)
    assert "from 2 to 1000" in steps.title
    layout = lime.layout()
    found = []

    def walk(n):
        if getattr(n, "id", None) in (ids.LIME_SAMPLES, ids.LIME_PATCH, ids.LIME_KERNEL):
            found.append(n)
        for c in (getattr(n, "children", None) or []) if isinstance(getattr(n, "children", None), list) else \
                [getattr(n, "children", None)]:
            if c is not None and not isinstance(c, str):
                walk(c)
    walk(layout)
    assert len(found) == 3 and all(getattr(f, "min", None) is None and getattr(f, "max", None) is None
                                   for f in found)


@pytest.mark.parametrize("render", ["lime", "ig"])
def test_invalid_numbers_are_named_in_the_page(service, render):
    from dashboard.tabs import gradients, lime

    if render == "lime":
        out = lime.render(service, "breast-cancer-mlp", 7, ids.PREDICTED, -5)
    else:
        out = gradients.render(service, "breast-cancer-mlp", 7, ids.PREDICTED, "integrated_gradients",
                               {"n_steps": 0})
    words = texts(out)
    assert ("n_samples" in words or "n_steps" in words) and "alert" in str(out)


def test_completeness_says_it_in_words_with_the_delta_on_a_details_line(service):
    from dashboard.tabs.gradients import completeness_note

    r = service.explain("mnist-cnn", 42, "integrated_gradients")
    note = completeness_note(r, "n")
    plain, details = note.children
    assert "delta" not in plain.children and "f(input)" not in plain.children
    assert "apart" in plain.children
    assert isinstance(details, html.Details) and f"{r.delta:.2e}" in texts(details)


def test_the_cache_note_speaks_plainly_first():
    from types import SimpleNamespace

    from dashboard.precompute import cache_note

    text = cache_note(SimpleNamespace(settings=SimpleNamespace(cache_type="simple")))
    assert not text.split(".")[0].count("GLIMPSE_")           # the setting's name comes last, if at all


def test_spinner_words_say_how_much_work(service):
    from dashboard.busy_words import gradient_words, lime_words, tree_words

    assert lime_words(1000) == "Computing LIME: 1,000 model calls on perturbed copies, then a linear fit…"
    assert "20,000" in lime_words(20000) and "1,000" in lime_words(None)
    assert "64 steps" in gradient_words("integrated_gradients", {"n_steps": 64})
    assert "9 noisy copies" in gradient_words("smoothgrad", {"n_samples": 9})
    assert "depth 6" in tree_words(6)


def test_link_extras_read_back_as_control_values(service):
    from dashboard.link_state import param_values, parse_extras

    got = parse_extras("?model=mnist-cnn&sample=1&tab=gradients&method=smoothgrad&compare=occlusion&target=3"
                       "&a.n_samples=7&a.abs=0&a.noise_level=0.3&b.window=6&b.bogus=1&layer=conv2&depth=2"
                       "&lime_samples=300&channels=each", service)
    assert got["target"] == 3 and got["layer"] == "conv2" and got["depth"] == 2 and got["lime_samples"] == 300
    assert got["a"] == {"n_samples": 7, "abs": False, "noise_level": 0.3} and got["b"] == {"window": 6}
    assert got["channels"] is True
    cids = [{"type": ids.PARAM, "slot": "a", "method": "smoothgrad", "name": n} for n in ("n_samples", "abs", "seed")]
    assert param_values(got, "a", "smoothgrad", cids, [25, ["on"], 0], service) == [7, [], 0]
    bad = parse_extras("?target=-1&depth=abc&lime_samples=abc", service)
    assert bad.get("target") is None and "depth" not in bad and bad["lime_samples"] == "abc"   # named by LIME
