"""Messages that would otherwise outlive what they are about: an upload panel's result once a
new file is chosen, and 'It is now selected' once another model is."""
from __future__ import annotations

from dash import Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from . import ids


def after_new_file(contents) -> object:
    """The panel's message once another file is chosen: gone (it was about the last one)."""
    if not contents:
        raise PreventUpdate
    return None


def after_model_switch(model_id, added_csv, added_file) -> tuple:
    """(CSV message, model-file message): each success message says its model 'is now
    selected'; once the page shows another model it is no longer true, and goes."""
    if not model_id:
        raise PreventUpdate
    return (None if added_csv and added_csv != model_id else no_update,
            None if added_file and added_file != model_id else no_update)


def register_callbacks(app):
    @app.callback(Output(ids.CSV_MESSAGE, "children", allow_duplicate=True), Input(ids.CSV_UPLOAD, "contents"),
                  prevent_initial_call=True)
    def _csv_file(contents):
        return after_new_file(contents)

    @app.callback(Output(ids.TS_MESSAGE, "children", allow_duplicate=True), Input(ids.TS_UPLOAD, "contents"),
                  Input(ids.TS_DATA_UPLOAD, "contents"), prevent_initial_call=True)
    def _model_file(model_contents, data_contents):
        return after_new_file(model_contents or data_contents)

    @app.callback(Output(ids.CSV_MESSAGE, "children", allow_duplicate=True),
                  Output(ids.TS_MESSAGE, "children", allow_duplicate=True),
                  Input(ids.MODEL, "data"), State(ids.CSV_ADDED, "data"), State(ids.TS_ADDED, "data"),
                  prevent_initial_call=True)
    def _model(model_id, added_csv, added_file):
        return after_model_switch(model_id, added_csv, added_file)
