"""Deep links: format/parse round trips, hand-typed junk, and applying a link to a service."""
from dash import no_update

from dashboard import ids
from dashboard.callbacks import select
from dashboard.samples import Filters
from dashboard.selection import from_link
from dashboard.urls import Link, format_search, parse_search

METHODS = ("saliency", "integrated_gradients", "smoothgrad", "gradcam")


def test_round_trip_keeps_every_field():
    search = format_search("mnist-cnn", 42, ids.TAB_GRADIENTS, "integrated_gradients", "smoothgrad")
    assert search == "?model=mnist-cnn&sample=42&tab=gradients&method=integrated_gradients&compare=smoothgrad"
    assert parse_search(search, METHODS) == Link("mnist-cnn", 42, "gradients", "integrated_gradients", "smoothgrad")


def test_methods_only_written_for_the_gradients_tab():
    search = format_search("wine-mlp", 3, ids.TAB_TREE, "saliency", "smoothgrad")
    assert search == "?model=wine-mlp&sample=3&tab=tree"
    assert format_search("wine-mlp", 3, ids.TAB_GRADIENTS, "saliency", ids.NO_METHOD) == \
        "?model=wine-mlp&sample=3&tab=gradients&method=saliency"


def test_model_ids_with_odd_characters_survive():
    search = format_search("csv-my data&more", 7, ids.TAB_LIME)
    assert parse_search(search, METHODS).model == "csv-my data&more"


def test_junk_is_ignored_field_by_field():
    link = parse_search("?model=wine-mlp&sample=abc&tab=nonsense&method=deep_dream&compare=saliency", METHODS)
    assert link == Link("wine-mlp", None, None, None, "saliency")
    assert parse_search("?sample=-3", METHODS).sample is None
    assert parse_search("", METHODS) == Link()
    assert parse_search(None, METHODS) == Link()
    assert parse_search("sample=5&tab=lime", METHODS) == Link(None, 5, "lime")   # no leading '?'


def test_link_sets_model_sample_tab_and_method(service):
    sel = from_link(service, "?model=breast-cancer-mlp&sample=12&tab=gradients&method=occlusion")
    assert sel.state == {"model": "breast-cancer-mlp", "sample": 12}
    assert (sel.tab, sel.method, sel.message) == ("gradients", "occlusion", None)


def test_empty_link_opens_the_cnn_on_its_first_held_out_digit(service):
    first = int(service.samples("mnist-cnn").is_test.nonzero()[0][0])
    sel = from_link(service, "")
    assert sel.state == {"model": "mnist-cnn", "sample": first}
    assert sel.tab is None and sel.message is None


def test_unknown_model_or_sample_falls_back_with_a_message(service):
    sel = from_link(service, "?model=no-such-model&sample=3")
    assert sel.state["model"] == "mnist-cnn"
    assert "no-such-model" in str(sel.message)
    n = service.model_info("wine-mlp").n_samples
    sel = from_link(service, f"?model=wine-mlp&sample={n}")
    first = int(service.samples("wine-mlp").is_test.nonzero()[0][0])
    assert sel.state == {"model": "wine-mlp", "sample": first}
    assert f"0..{n - 1}" in str(sel.message)


def test_a_linked_training_sample_turns_held_out_only_off(service):
    train_id = int((~service.samples("wine-mlp").is_test).nonzero()[0][0])
    out = select(service, None, None, None, False, f"?model=wine-mlp&sample={train_id}", Filters(held_out=True),
                 None, [ids.MISCLASSIFIED, ids.HELD_OUT])
    assert out[0] == {"model": "wine-mlp", "sample": train_id} and out[6] == [ids.MISCLASSIFIED]


def test_url_round_trip_through_the_callbacks(service):
    """Load a link -> the selection callback's outputs -> the URL the page then writes."""
    held_out = int(service.samples("mnist-mlp").is_test.nonzero()[0][3])
    search = f"?model=mnist-mlp&sample={held_out}&tab=gradients&method=integrated_gradients"
    state, applied, tab, method, compare, message, flags = select(service, None, None, None, False, search,
                                                                  Filters(held_out=True), None, [ids.HELD_OUT])
    assert state == {"model": "mnist-mlp", "sample": held_out} and applied is True
    assert (tab, method, compare, message, flags) == ("gradients", "integrated_gradients", no_update, None, no_update)
    # the page writes the address back the same way (assets/clientside.js; tests/e2e check it there)
    assert format_search(state["model"], state["sample"], tab, method, ids.NO_METHOD) == search
