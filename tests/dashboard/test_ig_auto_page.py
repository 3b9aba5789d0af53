"""IG's steps 'auto' in the page: the default, its text field, the note that says the steps
used, the spinner's words, and deep links that carry 'auto' or a number and come back."""
from __future__ import annotations

from dash import dcc

from dashboard import ids
from dashboard.busy_words import gradient_words
from dashboard.link_state import _written, defaults, param_values, parse_extras
from dashboard.params import collect_params, param_controls, word_or_number
from dashboard.tabs.gradients import completeness_note
from explain_core.methods.registry import METHODS

from .rendered import walk


def text_of(component) -> str:
    return " ".join(s for s in walk(component) if isinstance(s, str))


def _cid(name):
    return {"type": ids.PARAM, "slot": "a", "method": "integrated_gradients", "name": name}


def test_auto_is_the_default_and_its_field_takes_a_word_or_a_number(service):
    info = service.model_info("mnist-cnn")
    labels = param_controls("a", METHODS["integrated_gradients"], info)
    field = next(c for lab in labels for c in lab.children if isinstance(c, dcc.Input) and c.id["name"] == "n_steps")
    assert field.type == "text" and field.value == "auto"
    spec = METHODS["integrated_gradients"]
    assert collect_params(spec, [_cid("n_steps")], [" Auto "]) == {"n_steps": "Auto"}     # the engine lowers it
    assert collect_params(spec, [_cid("n_steps")], ["64"]) == {"n_steps": 64}
    assert collect_params(spec, [_cid("n_steps")], [64]) == {"n_steps": 64}
    assert collect_params(spec, [_cid("n_steps")], [""]) == {}
    assert word_or_number("64.5") == 64.5 and word_or_number("fifty") == "fifty"


def test_the_note_under_an_auto_map_states_its_steps(service):
    r = service.explain("mnist-cnn", 0, "integrated_gradients")
    assert r.params["n_steps"] == "auto" and r.extras["reached"]
    text = text_of(completeness_note(r))
    assert f"Steps: {r.extras['steps_used']}, chosen for this sample to bring the gap under 1%." in text
    fixed = service.explain("mnist-cnn", 0, "integrated_gradients", n_steps=50)
    assert "Steps:" not in text_of(completeness_note(fixed)) and fixed.params["n_steps"] == 50
    assert "as many steps as this sample needs" in gradient_words("integrated_gradients", {"n_steps": "auto"})
    assert "64 steps" in gradient_words("integrated_gradients", {"n_steps": "64"})


def test_a_link_carries_auto_and_a_number_and_reads_back(service):
    d = defaults(service, "mnist-cnn")["params"]["integrated_gradients"]
    assert d["n_steps"] == "auto"          # the address leaves the default out
    for raw, want in (("auto", "auto"), ("64", 64)):
        got = parse_extras(f"?model=mnist-cnn&sample=1&tab=gradients&method=integrated_gradients&a.n_steps={raw}",
                           service)
        assert got["a"] == {"n_steps": want}
        held = param_values(got, "a", "integrated_gradients", [_cid("n_steps")], ["auto"], service)
        assert held == [want]
        assert _written(held[0]) == raw      # what assets/link.js writes back: the same address
        params = collect_params(METHODS["integrated_gradients"], [_cid("n_steps")], held)
        r = service.explain("mnist-cnn", 1, "integrated_gradients", **params)
        assert r.params["n_steps"] == want
    bad = parse_extras("?model=mnist-cnn&method=integrated_gradients&a.n_steps=lots", service)
    assert bad["a"] == {"n_steps": "lots"}     # kept as typed: the engine names it
