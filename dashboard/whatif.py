"""The what-if editor's logic: draw a digit or edit a table row, and see the prediction,
the class probabilities and an explanation of the edited input (service.explain_input).

The edited input travels as a flat list of numbers in a dcc.Store (ids.WHATIF_INPUT:
{"model", "sample", "values", "origin"}); in a link it is packed compactly (pack/unpack):
an image as one byte per pixel, a table row as float32, both base64url.
"""
from __future__ import annotations

import base64
import binascii

import numpy as np
from dash import dcc, html

from explain_core.errors import DataError

from . import heads
from .components import alert, graph, note
from .figures.common import METHOD_TITLES

WHATIF_FEATURE = "whatif-feature"      # pattern id type: one table feature's value ({"type", "index": j})
MAX_SIDE = 64                          # grey images up to this side can be drawn on
MAX_LINK = 12_000                      # characters of a packed input in a link, at most
METHODS = ("integrated_gradients", "saliency", "gradient_x_input", "smoothgrad", "gradcam", "occlusion", "lime")
DEFAULT_METHOD = "integrated_gradients"


def drawable(info) -> bool:
    """Grey image models (one channel, up to MAX_SIDE a side) take a drawing."""
    shape = tuple(info.input_shape)
    return info.kind == "image" and len(shape) == 3 and shape[0] == 1 and max(shape[1:]) <= MAX_SIDE


def why_not(info) -> str | None:
    """Why this model has no editor, in plain words, or None."""
    if info.kind == "tabular" or drawable(info):
        return None
    return (f"Drawing works for grey images up to {MAX_SIDE}×{MAX_SIDE} pixels (such as the 28×28 MNIST models); "
            f"this model takes {'×'.join(map(str, info.input_shape))} inputs. Edit a table row or draw on an "
            "MNIST model instead.")


def method_options(info) -> list[dict]:
    return [{"label": METHOD_TITLES.get(m, m), "value": m} for m in METHODS
            if not (m == "gradcam" and not info.conv_layers) and not (m == "gradcam" and info.kind != "image")]


def pack(values, info, lo: float = 0.0, hi: float = 1.0) -> str:
    """A compact text of an input for a link: image pixels as bytes over lo..hi, table rows as float32."""
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    if info.kind == "image":
        raw = np.rint(255 * np.clip((x - lo) / max(hi - lo, 1e-12), 0, 1)).astype(np.uint8).tobytes()
    else:
        raw = x.astype("<f4").tobytes()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unpack(text, info, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """pack's inverse, or a DataError saying why the text is not an input of this model."""
    size = int(np.prod(info.input_shape))
    if not isinstance(text, str) or not text or len(text) > MAX_LINK:
        raise DataError("The edited sample in the link is missing or too long")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        if base64.urlsafe_b64encode(raw).decode().rstrip("=") != text:   # characters base64url does not use
            raise ValueError(text)
    except (binascii.Error, ValueError):
        raise DataError("The edited sample in the link is not readable (base64url expected)") from None
    if info.kind == "image":
        if len(raw) != size:
            raise DataError(f"The edited sample in the link has {len(raw)} pixels; this model takes {size}")
        return lo + (hi - lo) * np.frombuffer(raw, np.uint8).astype(np.float32) / 255
    if len(raw) != 4 * size:
        raise DataError(f"The edited sample in the link has {len(raw) // 4} values; this model takes {size}")
    return np.frombuffer(raw, "<f4").astype(np.float32)


def store_values(edited, model_id: str, size: int) -> list:
    """The edited input's values from the store, checked for this model (a DataError else);
    the engine checks the values themselves (finite, in range)."""
    if not isinstance(edited, dict) or edited.get("model") != model_id:
        raise DataError("The edited sample belongs to another model; edit this model's sample first")
    values = edited.get("values")
    if not isinstance(values, list) or len(values) != size:
        raise DataError(f"The edited sample must hold {size} numbers")
    if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
        raise DataError("The edited sample must hold numbers only")   # None: a field left empty
    return values


def edited_input(service, edited, state) -> np.ndarray:
    """The edited input of the selection's model, checked (for the report)."""
    from explain_core.inputs import check_input

    info = service.model_info(state["model"])
    values = store_values(edited, state["model"], int(np.prod(info.input_shape)))
    return check_input(service.dataset_for(state["model"]), values)


def feature_editor(info, x, lo, hi) -> html.Table:
    """One row per feature: its name, the value (editable), the range seen in the data."""
    head = html.Thead(html.Tr([html.Th("Feature"), html.Th("Value"), html.Th("Seen in the data")]))
    rows = []
    for j, name in enumerate(info.feature_names):
        rows.append(html.Tr([
            html.Td(name, className="whatif-name"),
            html.Td(dcc.Input(id={"type": WHATIF_FEATURE, "index": j}, type="number", value=float(x[j]), step="any",
                              debounce=0.25, className="param-number whatif-value", required=True)),
            html.Td(f"{heads.fmt(lo[j])} to {heads.fmt(hi[j])}", className="muted whatif-range"),
        ]))
    return html.Table([head, html.Tbody(rows)], className="whatif-table")


def canvas_editor(info) -> html.Div:
    _, h, w = info.input_shape
    return html.Div(className="whatif-draw", children=[
        html.Canvas(id="whatif-canvas", width=w, height=h, className="whatif-canvas",
                    **{"data-rows": h, "data-cols": w, "aria-label": "drawing area: draw with the mouse or a finger"}),
        html.Div(className="whatif-tools", children=[
            html.Button("Undo", id="whatif-undo", className="btn", title="Take back the last stroke"),
            html.Button("Clear", id="whatif-clear", className="btn", title="An empty canvas"),
            html.Button("Eraser", id="whatif-eraser", className="btn", title="Strokes erase ink (click again: draw)"),
        ]),
    ])


def live(service, model_id: str, values, method: str, target) -> list:
    """The prediction, class probabilities and the explanation of the edited input."""
    from .figures.attribution import attribution_figure
    from .figures.lime import lime_figure
    from .figures.samples import probability_figure
    from .sample_info import class_label, compact

    info = service.model_info(model_id)
    p = service.predict_input(model_id, values)
    result = service.explain_input(model_id, values, method, target=target)
    title = METHOD_TITLES.get(method, method)
    if method == "lime":
        fig = heads.reword(lime_figure(result, info.feature_names, class_names=info.class_names), info, "LIME",
                           result.target, heads.lime_words(info), plain=True)
    else:
        fig = heads.reword(attribution_figure(result, feature_names=info.feature_names, class_names=info.class_names),
                           info, title, result.target, heads.attribution_words(info))
    if heads.regression(info):
        said = f"The model predicts {heads.target_name(info)} = {heads.fmt(p.prediction)} for the edited sample."
        chart = []
    else:
        said = (f"The model says {class_label(info.class_names, p.prediction)} "
                f"({100 * float(p.probabilities[p.prediction]):.1f}%) for the edited sample.")
        chart = [graph(compact(probability_figure(p.probabilities, info.class_names, None, p.prediction),
                               len(info.class_names)), id="whatif-proba")]
    return [html.P(said, id="whatif-prediction", className="whatif-said"), *chart, graph(fig, id="whatif-map")]


def live_or_message(service, model_id, values, method, target) -> list:
    """live(), or the reason the input cannot be explained (an empty field, a value far out)."""
    from explain_core.errors import GlimpseError

    if any(v is None for v in values):
        return [note("Type a number in every field to see the prediction.", className="whatif-missing")]
    try:
        return live(service, model_id, values, method, target)
    except GlimpseError as e:
        return [alert(str(e), "warning")]


def tab_note(info) -> str:
    if info.kind == "tabular":
        return ("Change any value: the prediction and the explanation follow a quarter of a second after you stop "
                "typing. Values up to one observed range beyond the data are accepted.")
    return ("Draw with the mouse or a finger (dark is ink, as in the thumbnails); the prediction and the "
            "map follow each stroke. Undo, Clear and Eraser are below the canvas.")


EMPTY = {"model": None, "sample": None, "values": None, "origin": None}


def start_values(service, view, link_edit) -> tuple[list, str]:
    """The editor's first values: the link's edited sample when it is this model's, else the
    selected sample's. (values, origin)."""
    from explain_core.inputs import observed_range

    info = service.model_info(view["model"])
    data = service.dataset_for(view["model"])
    if link_edit:
        lo, hi = observed_range(data) if info.kind == "image" else (0.0, 1.0)
        return unpack(link_edit, info, float(lo), float(hi)).tolist(), "link"
    return service.sample(view["model"], view["sample"]).inputs.reshape(-1).astype(float).tolist(), "sample"

