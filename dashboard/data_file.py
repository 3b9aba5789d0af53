"""The data file dropped beside a model file (.npz with X and y, or a CSV with a target
column): checked and kept on the server as soon as it is dropped (it travels in a request
of its own, under the one-file size limit), named by its key when the model is added.
A bad file says why here at once; the target column of a CSV is chosen here."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html

from explain_core.errors import GlimpseError

from . import ids, security
from .components import alert

AUTO = "auto"
TASKS = (AUTO, "classification", "regression")
TASK_LABELS = {AUTO: "told from the outputs and labels", "classification": "classification",
               "regression": "regression"}
HIDDEN, SHOWN = {"display": "none"}, {}


def stage(service, contents, filename):
    """(status, staged key, target options, target value, target row style, remove style)
    for a dropped data file; a removed one (contents None) clears them."""
    from .upload import decode_upload

    if contents is None:
        return "", None, [], None, HIDDEN, HIDDEN
    if refused := security.upload_refusal():       # GLIMPSE_UPLOADERS: no parsing for others either
        return alert(refused), None, [], None, HIDDEN, HIDDEN
    name = filename[:200] if isinstance(filename, str) and filename else "data"
    try:
        staged = service.stage_data_file(decode_upload(contents, name), name)
    except GlimpseError as e:
        return alert(str(e)), None, [], None, HIDDEN, SHOWN
    status = html.Span(f"Data: {staged.summary}.", className="muted")
    if staged.kind != "csv":
        return status, staged.key, [], None, HIDDEN, SHOWN
    options = [{"label": f"{t} ({', '.join(staged.target_tasks.get(t, ()))})", "value": t} for t in staged.targets]
    return status, staged.key, options, staged.target, SHOWN, SHOWN


def controls(limit: int) -> list:
    """The data file's part of the model-file column."""
    return [
        dcc.Upload(id=ids.TS_DATA_UPLOAD, className="dropzone", accept=".npz,.csv,.tsv,.txt,text/csv",
                   multiple=False, max_size=limit,
                   children=html.Div(["Data to explain it on (.npz with X and y, or .csv with a target column): "
                                      "drop it here or ", html.A("choose one")], **{"data-max-bytes": str(limit)})),
        html.Div(className="row", children=[
            html.Div(id=ids.TS_DATA_STATUS, className="grow"),
            html.Button("remove", id=ids.TS_DATA_CLEAR, className="btn btn-small", style=HIDDEN),
        ]),
        html.Label(id=ids.TS_TARGET_WRAP, style=HIDDEN, className="control", children=[
            "Target column of the CSV", dcc.Dropdown(id=ids.TS_TARGET, options=[], clearable=False)]),
        html.Label(["Task", dcc.RadioItems(id=ids.TS_TASK, className="flags", inline=True, value=AUTO,
                                           options=[{"label": TASK_LABELS[t], "value": t} for t in TASKS])],
                   className="control", title="One output with labels that are not two classes is a regression; "
                                              "one output with two classes is binary (a logit, or a probability "
                                              "when every output lies in 0..1)."),
    ]


def feature_names_control():
    return html.Label(["Feature names of a .npz table (comma-separated, optional)",
                       dcc.Input(id=ids.TS_FEATURES, type="text", placeholder="x0,x1,…", className="text-input")],
                      className="control")


def task_value(task) -> str | None:
    """The task the panel asks for (None: told from the outputs and labels)."""
    return None if task in (None, AUTO) else task


def register_callbacks(app, service):
    @app.callback(Output(ids.TS_DATA_STATUS, "children"), Output(ids.TS_DATA_KEY, "data"),
                  Output(ids.TS_TARGET, "options"), Output(ids.TS_TARGET, "value"),
                  Output(ids.TS_TARGET_WRAP, "style"), Output(ids.TS_DATA_CLEAR, "style"),
                  Input(ids.TS_DATA_UPLOAD, "contents"), State(ids.TS_DATA_UPLOAD, "filename"),
                  prevent_initial_call=True)
    def _stage(contents, filename):
        return stage(service, contents, filename)

    @app.callback(Output(ids.TS_DATA_UPLOAD, "contents"), Output(ids.TS_DATA_UPLOAD, "filename"),
                  Input(ids.TS_DATA_CLEAR, "n_clicks"), prevent_initial_call=True)
    def _clear(_clicks):
        return None, None
