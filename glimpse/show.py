"""glimpse.show: the dashboard on the caller's own models and data."""
from __future__ import annotations

import re
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from explain_core import ExplanationService, Settings
from explain_core.data.arrays import (as_samples, check_shown_shape, check_training_rows, encode_labels,
                                      encode_values, from_arrays)
from explain_core.errors import DataError, ModelError
from explain_core.model_facts import answers
from explain_core.models.inprocess import class_names_for, infer_head, infer_task, outputs
from explain_core.models.zoo import DEFAULT_SPECS

from .inputs import to_labels, to_numpy
from .serving import Running, serve


def show(model, X, y=None, *, X_train=None, y_train=None, class_names=None, feature_names=None,
         task: str | None = None, output: str | None = None, title: str | None = None, port: int = 8050,
         host: str = "127.0.0.1", block: bool = True, jupyter: bool | None = None, builtin_models: bool = False,
         settings: Settings | None = None) -> Running:
    """Open the dashboard on `model` (a torch.nn.Module, or a dict {name: module} of models
    to compare on the same data) and the samples X (numpy, torch or pandas; a DataFrame's
    columns name the features), with labels y when known.

    X_train (and y_train): training rows for LIME's statistics, the mean baseline and the
    distilled tree (default: X). task: 'classification' or 'regression' (default: told from
    the output width and y: one output with labels that are not two classes is a regression).
    A classifier with one output is binary (classes negative, positive; class_names= renames
    them): output='logit' or 'probability' says what that output is (default: a
    probability when every output lies in 0..1). A regression's class_names= is the
    target's one name. Serves on http://host:port/ until Ctrl+C; block=False serves in a
    background thread; in Jupyter (or jupyter=True) the page shows in the cell and the call
    returns at once. Returns a handle with .url, .service and .stop().
    builtin_models=True adds Glimpse's own five models (trained on first use).
    """
    from dashboard import create_app

    service = build_service(model, X, y, X_train=X_train, y_train=y_train, class_names=class_names,
                            feature_names=feature_names, task=task, output=output, title=title,
                            builtin_models=builtin_models, settings=settings)
    return serve(create_app(service), host, port, block, jupyter)


def build_service(model, X, y=None, *, X_train=None, y_train=None, class_names=None, feature_names=None,
                  task: str | None = None, output: str | None = None, title: str | None = None,
                  builtin_models: bool = False, settings: Settings | None = None) -> ExplanationService:
    """The ExplanationService show() serves: the caller's models registered on their data
    (each run on every sample first; a model that fails is a ModelError). With labels for
    every row and more than BACKGROUND_ABOVE rows, only the first FIRST_ROWS are run here
    and the rest in the background (service.outputs_status; a failure there is shown in
    the page)."""
    models = dict(model) if isinstance(model, Mapping) else {title or type(model).__name__: model}
    if not models:
        raise ModelError("No model given: pass a torch.nn.Module or a dict of them.")
    X, frame_names = to_numpy(X, "X")
    X = as_samples(X, "X")
    check_shown_shape(tuple(X.shape[1:]))
    if X_train is not None:
        X_train = as_samples(to_numpy(X_train, "X_train")[0], "X_train")
        check_training_rows(X, X_train)
    y, y_train = to_labels(y, "y"), to_labels(y_train, "y_train")
    if y_train is not None and X_train is None:
        raise DataError("y_train was given without X_train.")
    home = None if settings is not None or builtin_models else Path(tempfile.mkdtemp(prefix="glimpse-"))
    service = ExplanationService(settings or _settings(home), specs=DEFAULT_SPECS if builtin_models else ())
    if home is not None:
        weakref.finalize(service, shutil.rmtree, home, ignore_errors=True)
    names = feature_names if feature_names is not None else frame_names
    # every label known and many rows: the model runs over the first rows now, the rest in the
    # background while the page opens (explain_core/models/background_outputs.py)
    later = y is not None and (X_train is None or y_train is not None) and \
        len(X) + (0 if X_train is None else len(X_train)) > BACKGROUND_ABOVE
    shared: dict[tuple, object] = {}       # models with the same labels share one Dataset (and its memory)
    for name, module in models.items():
        logits = run_on(module, X, X_train, FIRST_ROWS if later else None)
        head = infer_head(logits, infer_task(logits.shape[1], y, task), output)
        predicted = None if later else answers(head, logits)[0]            # classes, or values for regression
        classes = class_names_for(class_names, head, logits.shape[1])

        def encode(v, n, what):
            return encode_values(v, n, what) if head.task == "regression" else encode_labels(v, n, classes, what)
        labels = encode(y, len(X), "y") if y is not None else predicted[:len(X)]
        train_labels = None if X_train is None else (
            encode(y_train, len(X_train), "y_train") if y_train is not None else predicted[len(X):])
        key = (head.task, classes, labels.tobytes(), None if train_labels is None else train_labels.tobytes())
        data = shared.get(key) or shared.setdefault(key, from_arrays(
            "your data", X, labels, classes, X_train=X_train, y_train=train_labels, feature_names=names,
            description=_description(X, X_train), notes=_notes(y, X_train, y_train), task=head.task))
        service.add_model(module, data, title=str(name), model_id=_new_id(service, str(name)),
                          labelled=y is not None, logits=None if later else logits, head=head,
                          first_outputs=logits if later else None)
    return service


BACKGROUND_ABOVE = 10_000   # rows above which the model's outputs for most of them come in the background
FIRST_ROWS = 2_000          # rows run before show() returns then: the head is told from their outputs


def run_on(module, X, X_train=None, limit: int | None = None):
    """The model's outputs for the rows of X then X_train (no concatenated copy of the data),
    or for the first `limit` rows of X only."""
    if limit is not None:
        return outputs(module, X[:limit])
    if X_train is None:
        return outputs(module, X)
    return np.concatenate([outputs(module, X), outputs(module, X_train)])


def _description(X, X_train) -> str:
    extra = f" and {len(X_train):,} training rows" if X_train is not None else ""
    return f"{len(X):,} samples passed to glimpse.show{extra}"


def _notes(y, X_train, y_train) -> tuple[str, ...]:
    notes = []
    if y is None:
        notes.append("No labels were given: the 'true label' shown is the model's own prediction, and the "
                     "accuracy is unknown.")
    if X_train is None:
        notes.append("No training rows were given: LIME's statistics, the mean baseline and the distilled tree "
                     "use the samples shown.")
    elif y_train is None:
        notes.append("The training rows came without labels: their 'true label' is the model's prediction.")
    return tuple(notes)


def _new_id(service, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "model"
    taken, model_id, k = set(service.model_ids()), base, 2
    while model_id in taken:
        model_id, k = f"{base}-{k}", k + 1
    return model_id


def _settings(home: Path | None) -> Settings:
    """Glimpse's usual home (./.glimpse or GLIMPSE_HOME) when its own models are wanted
    (home None): they are trained once and stored there. Otherwise a temporary home, gone
    with the service, so the page lists the caller's models only."""
    if home is None:
        return Settings.from_env()
    return Settings.from_env(model_store=home / "models", cache_dir=home / "cache")
