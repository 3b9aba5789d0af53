"""The what-if editor's logic without a browser: links carry an edit compactly and back,
bad stores and links are refused with a reason, the live result follows the edit."""
from types import SimpleNamespace

import numpy as np
import pytest

from dash import html

from dashboard import ids
from dashboard.tabs import whatif as tab
from dashboard.whatif import drawable, live_or_message, pack, store_values, unpack, why_not
from explain_core.errors import DataError

IMAGE = SimpleNamespace(kind="image", input_shape=(1, 28, 28))
TABLE = SimpleNamespace(kind="tabular", input_shape=(13,))


def test_an_image_travels_as_one_byte_per_pixel():
    x = np.random.default_rng(0).random(784).astype(np.float32)
    text = pack(x, IMAGE)
    assert len(text) <= 1046 and set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    np.testing.assert_allclose(unpack(text, IMAGE), x, atol=0.5 / 255 + 1e-7)


def test_a_table_row_travels_exactly_as_float32():
    x = np.array([13.2, 1.78, 2.14, 11.2, 100, 2.65, 2.76, 0.26, 1.28, 4.38, 1.05, 3.4, 1050], np.float32)
    np.testing.assert_array_equal(unpack(pack(x, TABLE), TABLE), x)


@pytest.mark.parametrize("text,words", [("", "missing"), (None, "missing"), ("!!!", "not readable"),
                                        ("AAAA", "pixels"), ("A" * 20000, "too long")])
def test_bad_links_are_refused_with_a_reason(text, words):
    with pytest.raises(DataError, match=words):
        unpack(text, IMAGE)
    if words == "pixels":
        with pytest.raises(DataError, match="values"):
            unpack(text, TABLE)


@pytest.mark.parametrize("edited,words", [
    (None, "another model"), ({"model": "other", "values": [0] * 13}, "another model"),
    ({"model": "m", "values": [0] * 12}, "13 numbers"), ({"model": "m", "values": "0" * 13}, "13 numbers"),
    ({"model": "m", "values": ["1"] * 13}, "numbers only"), ({"model": "m", "values": [True] * 13}, "numbers only"),
])
def test_bad_stores_are_refused(edited, words):
    with pytest.raises(DataError, match=words):
        store_values(edited, "m", 13)
    assert store_values({"model": "m", "values": [1.5, None] + [0] * 11}, "m", 13)[1] is None


def test_which_models_take_a_drawing(service):
    assert drawable(service.model_info("mnist-cnn")) and drawable(service.model_info("digits-8x8-cnn"))
    assert not drawable(service.model_info("shortcut-cnn"))
    assert "3×28×28" in why_not(service.model_info("shortcut-cnn"))
    assert why_not(service.model_info("wine-mlp")) is None


def test_the_live_result_follows_the_edit_and_explains_bad_values(service):
    x = service.sample("wine-mlp", 5).inputs.astype(float).tolist()
    out = live_or_message(service, "wine-mlp", x, "integrated_gradients", None)
    said = out[0].children
    assert said.startswith("The model says") and ("whatif-map" in {getattr(c, "id", None) for c in out})
    far = list(x)
    far[12] = 1e7
    (msg,) = live_or_message(service, "wine-mlp", far, "saliency", None)
    assert "far outside" in str(msg.children)
    (ask,) = live_or_message(service, "wine-mlp", [None] + x[1:], "saliency", None)
    assert "Type a number" in ask.children


def test_the_editor_starts_from_the_sample_or_the_links_edit(service):
    view = {"model": "mnist-cnn", "sample": 3}
    children, data = tab.editor(service, view, "?model=mnist-cnn&sample=3", "saliency", None)
    assert data["origin"] == "sample" and len(data["values"]) == 784
    blank = pack(np.zeros(784), IMAGE)
    _, data = tab.editor(service, view, f"?model=mnist-cnn&sample=3&edit={blank}", "saliency", None)
    assert data["origin"] == "link" and max(data["values"]) == 0
    _, data = tab.editor(service, view, f"?model=mnist-mlp&edit={blank}", "saliency", None)   # another model's
    assert data["origin"] == "sample"
    children, data = tab.editor(service, {"model": "shortcut-cnn", "sample": 0}, "", "saliency", None)
    assert data["values"] is None and "Drawing works for grey images" in children[0].children
    with pytest.raises(DataError):
        tab.editor(service, view, "?model=mnist-cnn&edit=@@", "saliency", None)
    assert isinstance(children[0], html.P) and ids.TAB_WHATIF == tab.TAB
