"""Bring your own model: a CSV (preview, pick the target, train with a progress bar) or a
model file (torch.export .pt2 or TorchScript), with a data file to explain it on
(data_file.py). A bad file shows its message here; the current view stays as it was.

Training runs as a Dash background callback (a DiskcacheManager job by default): the
job trains and stores the model, then the page's own process loads it from the store.
"""
from __future__ import annotations

import base64
import binascii
import logging

from dash import Input, Output, State, dash_table, dcc, html, no_update

from explain_core.errors import DataError, GlimpseError

from . import csv_targets, data_file, ids, security, validate
from .background import background_error_message
from .components import alert, bar_style, progress_bar, register_panel_toggle

log = logging.getLogger("glimpse.upload")


# ------------------------------------------------------------------------ plain functions
def decode_upload(contents: str | None, filename: str | None = None) -> bytes:
    """Bytes of a dcc.Upload value ('data:<type>;base64,<data>')."""
    name = filename if isinstance(filename, str) and filename else "the file"
    if not isinstance(contents, str) or not contents:   # a forged request may send anything
        raise DataError(f"No file content received for {name}.")
    try:
        _, data = contents.split(",", 1)
        return base64.b64decode(data, validate=True)
    except (ValueError, binascii.Error):
        raise DataError(f"Could not read {name}: the upload arrived damaged. Try again.") from None


def preview(service, contents, filename):
    """(preview children, target options, target value, train disabled, {column: tasks}) for
    an uploaded CSV."""
    if refused := security.upload_refusal():     # GLIMPSE_UPLOADERS: no parsing for others either
        return alert(refused), [], None, True, {}
    filename = filename or "upload.csv"
    try:
        table = service.preview_csv(decode_upload(contents, filename), filename)
    except GlimpseError as e:
        return alert(str(e)), [], None, True, {}
    return preview_children(table), csv_targets.target_options(table), table.suggested_target, \
        not table.candidate_targets, csv_targets.tasks_data(table)


def preview_children(table):
    cols = list(table.preview[0].keys()) if table.preview else [c.name for c in table.columns]
    head = dash_table.DataTable(
        data=[{c: ("" if r.get(c) is None else r.get(c)) for c in cols} for r in table.preview],
        columns=[{"name": c, "id": c} for c in cols], page_action="none",
        style_table={"overflowX": "auto", "maxHeight": "220px", "overflowY": "auto"},
        style_cell={"fontSize": "12px", "padding": "2px 6px", "fontFamily": "inherit", "maxWidth": "160px",
                    "overflow": "hidden", "textOverflow": "ellipsis"},
        style_header={"fontWeight": "600", "backgroundColor": "#f1f3f6"},
    )
    types = html.Table(className="types", children=[
        html.Thead(html.Tr([html.Th(h) for h in ("column", "type", "missing", "distinct", "note")])),
        html.Tbody([html.Tr([html.Td(c.name), html.Td(c.kind, className=f"kind-{c.kind}"), html.Td(c.n_missing),
                             html.Td(c.n_unique), html.Td(c.reason)]) for c in table.columns]),
    ])
    children = [html.P(f"{table.filename}: {table.n_rows:,} rows, {table.n_cols} columns. First rows:",
                       className="muted"), head,
                html.Details([html.Summary("Detected column types"), types], open=False, className="types-box")]
    if table.notes:
        children.append(html.Ul([html.Li(n) for n in table.notes], className="notes"))
    why_not = csv_targets.not_offered(table)
    if why_not is not None:
        children.append(why_not)
    return children


def progress_update(p: dict) -> tuple[dict, str]:
    """(bar style, text) from a service progress report."""
    if p.get("epochs"):
        fraction = float(p.get("epoch", 0)) / float(p["epochs"])
        acc = p.get("accuracy")
        acc = f", training accuracy {100 * acc:.1f}%" if isinstance(acc, (int, float)) and acc == acc else ""
        return bar_style(fraction), f"Training: epoch {p.get('epoch')}/{p['epochs']}{acc}"
    if "fraction" in p:
        return bar_style(p["fraction"]), str(p.get("message") or p.get("stage") or "Working…")
    return no_update, str(p.get("message") or p.get("stage") or "Working…").capitalize()


def train_csv(service, set_progress, contents, filename, target, task=None):
    """(message, new model id or no_update): train a model on the uploaded CSV, a classifier
    or a regressor (task; default: what the column allows first)."""
    if refused := security.upload_refusal():     # GLIMPSE_UPLOADERS
        return alert(refused), no_update
    filename = filename or "upload.csv"
    if not target:
        return alert("Choose the target column first.", "warning"), no_update
    try:
        task = validate.choice(task, validate.TASKS, "The task")
        target = validate.text(target, "The target column")
        content = decode_upload(contents, filename)
        set_progress((bar_style(0), "Reading the file…"))
        model_id = service.add_csv_model(content, target, filename,
                                         progress=lambda p: set_progress(progress_update(p)), task=task)
        info = service.model_info(model_id)
    except GlimpseError as e:
        return alert(str(e)), no_update
    set_progress((bar_style(1), "Done"))
    return alert(f"Trained {info.title}: {score_text(info)} on {info.n_test:,} rows. "
                 "It is now selected; click a row to explain it.", "success"), model_id


def score_text(info) -> str:
    """How well the model does on its held-out rows, as the upload messages say it."""
    if info.task == "regression":
        return f"held-out R² {info.r2:.3f}, mean absolute error {info.mae:.4g}"
    if info.accuracy != info.accuracy:                  # NaN: the data came without labels
        return "accuracy unknown (the data has no labels)"
    return f"held-out accuracy {100 * info.accuracy:.1f}%"


def training_failed(error: Exception):
    """The training callback's outputs when its job failed or its process died: a message
    in the page (the progress bar closes), the current model kept."""
    log.error("CSV training job failed: %s", error)
    return alert(f"Training stopped: {background_error_message(error)}"), no_update


def parse_shape(text: str | None) -> tuple[int, ...]:
    """'1,28,28' / '1x28x28' / '(30,)' -> a shape tuple of positive ints."""
    raw = (text if isinstance(text, str) else "").replace("x", ",").replace("×", ",").strip("()[] ")
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if not shape or any(s <= 0 for s in shape):
        raise DataError(f"Input shape {text!r} is not a list of positive whole numbers like '1,28,28' "
                        "(one sample, without the batch dimension).")
    return shape


def parse_names(text: str | None) -> tuple[str, ...] | None:
    names = tuple(n.strip() for n in (text if isinstance(text, str) else "").split(",") if n.strip())
    return names or None


def data_options(service) -> list[dict]:
    """Which data a tabular TorchScript model can be explained on: any tabular model's.
    (An image model gets the built-in images of its shape: 1x28x28 MNIST, 3x28x28 the shortcut
    digits, 1x8x8 scikit-learn's digits.)"""
    return [{"label": f"{m.title}: {m.dataset} ({m.input_shape[0]} features)", "value": m.model_id}
            for m in service.list_models() if m.kind == "tabular"]


def add_torchscript(service, contents, filename, shape_text, class_names_text, data_from=None, data_key=None,
                    target=None, task=None, features_text=None):
    """(message, new model id or no_update) for an uploaded model file: a .pt2 (torch.export,
    which says its own input shape: the shape field is not read) or a TorchScript file,
    explained on the data file staged under `data_key` (its samples give a TorchScript
    file's input shape) or else on data of its shape already here."""
    if refused := security.upload_refusal():     # GLIMPSE_UPLOADERS
        return alert(refused), no_update
    filename = filename or "model.pt"
    try:
        data_key = validate.text(data_key, "The data file's key", 200)
        target = validate.text(target, "The target column", 1000)
        task = data_file.task_value(validate.choice(task, data_file.TASKS, "The task"))
        features = parse_names(validate.text(features_text, "The feature names"))
        data = service.staged_data_file(data_key, target) if data_key else None
        content = decode_upload(contents, filename)
        shape = None if str(filename).lower().endswith(".pt2") or data is not None else parse_shape(shape_text)
        model_id = service.add_model_file(content, shape, parse_names(class_names_text),
                                          data_from=data_from or None, title=filename, data=data, task=task,
                                          feature_names=features)
        info = service.model_info(model_id)
    except GlimpseError as e:
        return alert(str(e)), no_update
    return alert(f"Added {info.title} ({info.dataset}): {score_text(info)}. It is now selected.",
                 "success"), model_id


# ---------------------------------------------------------------------------- layout
def layout():
    limit = security.max_upload_bytes()     # files over it are refused in the browser (assets/upload-limit.js)
    csv_part = html.Div(className="upload-col", children=[
        html.H3("Train on a CSV table"),
        dcc.Upload(id=ids.CSV_UPLOAD, className="dropzone", accept=".csv,.tsv,.txt,text/csv", multiple=False,
                   max_size=limit, children=html.Div(["Drop a CSV file here or ", html.A("choose one")],
                                                     **{"data-max-bytes": str(limit)})),
        html.Div(id=ids.CSV_PREVIEW, className="csv-preview"),
        html.Div(className="row", children=[
            html.Label(["Target column", dcc.Dropdown(id=ids.CSV_TARGET, placeholder="upload a file first",
                                                       clearable=False)], className="control grow"),
            html.Button("Train", id=ids.CSV_TRAIN, className="btn btn-primary", disabled=True),
        ]),
        dcc.RadioItems(id=ids.CSV_TASK, className="flags", inline=True, options=[
            {"label": csv_targets.TASK_LABELS[t], "value": t, "disabled": True} for t in csv_targets.TASKS]),
        html.Div(id=ids.CSV_TASK_HINT, className="muted"),
        dcc.Store(id=ids.CSV_TASKS),
        html.Div(id=ids.CSV_PROGRESS, style={"display": "none"},
                 children=progress_bar(ids.CSV_PROGRESS_BAR, ids.CSV_PROGRESS_TEXT)),
        html.Div(id=ids.CSV_MESSAGE),
        dcc.Store(id=ids.CSV_ADDED),
    ])
    ts_part = html.Div(className="upload-col", children=[
        html.H3("Add a model file"),
        dcc.Upload(id=ids.TS_UPLOAD, className="dropzone", accept=".pt2,.pt,.pth,.ts,.zip", multiple=False,
                   max_size=limit, children=html.Div(["Drop a torch.export file (.pt2, torch.export.save) or a "
                                                      "TorchScript file (torch.jit.save) here or ",
                                                      html.A("choose one")], **{"data-max-bytes": str(limit)})),
        html.Div(id=ids.TS_FILENAME, className="muted"),
        *data_file.controls(limit),
        dcc.Store(id=ids.TS_DATA_KEY),
        html.Label(["Input shape of one sample (TorchScript without a data file; a .pt2 file says its own)",
                    dcc.Input(id=ids.TS_SHAPE, value="1,28,28", type="text", className="text-input")],
                   className="control"),
        html.Label(["Class names (comma-separated, optional)",
                    dcc.Input(id=ids.TS_CLASSES, type="text", placeholder="0,1,2,…", className="text-input")],
                   className="control"),
        data_file.feature_names_control(),
        html.Label(["Or the data of a loaded tabular model (without a data file)",
                    dcc.Dropdown(id=ids.TS_DATA, placeholder="matched by input shape", options=[])],
                   className="control", title="Image models use the built-in images of their shape (1x28x28 "
                                              "MNIST, 3x28x28 shortcut digits, 1x8x8 digits); a tabular model "
                                              "needs data with as many feature columns as it takes."),
        html.Button("Add model", id=ids.TS_ADD, className="btn btn-primary"),
        html.Div(id=ids.TS_MESSAGE),
        dcc.Store(id=ids.TS_ADDED),
    ])
    return html.Section(id=ids.UPLOAD_PANEL, className="card upload", style={"display": "none"}, children=[
        html.Div(className="card-title-row", children=[
            html.H2("Add a model", className="card-title"),
            html.Button("close ✕", id=ids.UPLOAD_CLOSE, className="btn btn-small"),
        ]),
        html.Div([csv_part, ts_part], className="upload-cols"),
    ])


# ------------------------------------------------------------------------- callbacks
def register_callbacks(app, service, background_manager):
    register_panel_toggle(app, ids.UPLOAD_TOGGLE, ids.UPLOAD_CLOSE, ids.UPLOAD_PANEL)
    data_file.register_callbacks(app, service)

    @app.callback(Output(ids.CSV_PREVIEW, "children"), Output(ids.CSV_TARGET, "options"),
                  Output(ids.CSV_TARGET, "value"), Output(ids.CSV_TRAIN, "disabled"), Output(ids.CSV_TASKS, "data"),
                  Input(ids.CSV_UPLOAD, "contents"), State(ids.CSV_UPLOAD, "filename"),
                  prevent_initial_call=True)
    def _preview(contents, filename):
        return preview(service, contents, filename)

    @app.callback(Output(ids.CSV_TASK, "options"), Output(ids.CSV_TASK, "value"), Output(ids.CSV_TASK_HINT, "children"),
                  Input(ids.CSV_TARGET, "value"), State(ids.CSV_TASKS, "data"), prevent_initial_call=True)
    def _task(target, tasks):
        return csv_targets.task_choice(target, tasks)

    @app.callback(Output(ids.CSV_MESSAGE, "children"), Output(ids.CSV_ADDED, "data"),
                  Input(ids.CSV_TRAIN, "n_clicks"),
                  State(ids.CSV_UPLOAD, "contents"), State(ids.CSV_UPLOAD, "filename"), State(ids.CSV_TARGET, "value"),
                  State(ids.CSV_TASK, "value"),
                  background=True, manager=background_manager, prevent_initial_call=True, interval=500,
                  progress=[Output(ids.CSV_PROGRESS_BAR, "style"), Output(ids.CSV_PROGRESS_TEXT, "children")],
                  running=[(Output(ids.CSV_TRAIN, "disabled"), True, False),
                           (Output(ids.CSV_PROGRESS, "style"), {"display": "block"}, {"display": "none"})],
                  on_error=training_failed)
    def _train(set_progress, n_clicks, contents, filename, target, task):
        return train_csv(service, set_progress, contents, filename, target, task)

    @app.callback(Output(ids.TS_DATA, "options"),
                  Input(ids.UPLOAD_TOGGLE, "n_clicks"), Input(ids.CSV_ADDED, "data"), Input(ids.TS_ADDED, "data"),
                  prevent_initial_call=True)
    def _ts_data(_opened, _csv, _ts):     # when the panel opens: it loads every tabular model
        return data_options(service)

    @app.callback(Output(ids.TS_FILENAME, "children"), Input(ids.TS_UPLOAD, "filename"), prevent_initial_call=True)
    def _ts_name(filename):
        return f"Selected: {filename}" if filename else ""

    @app.callback(Output(ids.TS_MESSAGE, "children"), Output(ids.TS_ADDED, "data"),
                  Input(ids.TS_ADD, "n_clicks"),
                  State(ids.TS_UPLOAD, "contents"), State(ids.TS_UPLOAD, "filename"), State(ids.TS_SHAPE, "value"),
                  State(ids.TS_CLASSES, "value"), State(ids.TS_DATA, "value"), State(ids.TS_DATA_KEY, "data"),
                  State(ids.TS_TARGET, "value"), State(ids.TS_TASK, "value"), State(ids.TS_FEATURES, "value"),
                  prevent_initial_call=True)
    def _add_ts(n_clicks, contents, filename, shape, classes, data_from, data_key, target, task, features):
        if not contents:
            return alert("Choose a model file first.", "warning"), no_update
        return add_torchscript(service, contents, filename, shape, classes, data_from, data_key, target, task,
                               features)
