"""Models users bring: a CSV to train on, or a TorchScript file. Kept on disk so another
worker, or the next start, finds them by id.

Layout: <model store>/uploads/<model id>/
    csv:         data.npz (X, y, split), weights.pt + meta.json (via ModelStore)
    torchscript: model.pt (the uploaded bytes), meta.json
meta.json is written last, so a folder without it is an unfinished upload and is ignored.

User bytes are never opened with torch.load or pickle: a TorchScript archive holds code
and tensors, not pickled Python objects to run. Before torch reads it, model_safety checks
the archive's limits and code; after loading, the operations it may run; the first forward
runs in a child process with memory and time limits. Stored uploads pass the same checks.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import math
import os
import re
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .data.csv_upload import TASKS, parse_csv, task_for, to_dataset
from .data.dataset import Dataset
from .errors import DataError, GlimpseError, ModelFileError
from .model_safety import first_forward, load_checked
from .models.script_view import script_view
from .models.store import ModelStore, content_hash
from .models.store_history import save_history
from .models.zoo import ModelSpec, TrainedModel, build_spec, fit_spec, held_out_accuracy, recorder, spec_head, spec_kind

log = logging.getLogger(__name__)
UPLOAD_ID = re.compile(r"^(csv|ts|pt2)-[0-9a-f]{10}$")
IMAGE_SHAPE = (1, 28, 28)
TARGET_STEPS = 1000   # optimiser steps for a CSV model: ~1 s per 1,000 on 2 cores


def uploads_root(store: ModelStore) -> Path:
    return Path(store.root) / "uploads"


# ------------------------------------------------------------------------------- CSV
def add_csv_model(service, content: bytes, target: str, filename: str = "upload.csv",
                  progress: Callable[[dict], None] | None = None, task: str | None = None) -> str:
    """Train a TabularMLP on a CSV, a classifier or a regressor (task; default: what the
    target column allows first, csv_upload.target_tasks). The same bytes, target and task
    give the same id (and no retraining)."""
    if task is not None and task not in TASKS:
        raise DataError(f"The task must be 'classification' or 'regression', not {task!r}.")
    table = None
    if task is None:           # the page always says which; a caller may leave it to the column
        table = parse_csv(content, filename=filename)
        task = task_for(table, target)
    suffix = b"\0regression" if task == "regression" else b""     # classification ids stay as they were
    model_id = "csv-" + hashlib.sha1(content + target.encode() + suffix).hexdigest()[:10]
    tm = _already_there(service, model_id)
    if tm is None:
        data = to_dataset(table or parse_csv(content, filename=filename), target, seed=service.settings.seed,
                          name=Path(filename).name, task=task)
        title = f"{Path(filename).name} → {target}" + (" (regression)" if data.regression else "")
        spec = ModelSpec(model_id, title, model_id, "tabular-mlp", train_settings(len(data.train_idx), data.task),
                         {"target_scaler": True} if data.regression else {})
        report = service._train_progress(progress, model_id, 0, 1)
        rec = recorder(spec, data)
        module = fit_spec(spec, data, service.settings.seed, report, rec)
        head = spec_head(spec, data)
        tm = TrainedModel(spec, module, data, held_out_accuracy(module, head, data.X_test, data.y_test),
                          content_hash(module), trained_now=True, source="csv", head=head)
        save_history(uploads_root(service.store) / model_id, rec.history(tm.hash))   # before meta.json
        _save_csv(service.store, tm, filename, target)
        service.register(tm)
    if progress is not None:
        progress({"model_id": model_id, "index": 1, "total": 1, "stage": "ready"})
    return model_id


def train_settings(n_train: int, task: str = "classification") -> dict:
    """About TARGET_STEPS Adam steps whatever the size: small tables get more epochs,
    big ones bigger batches (10,000 rows x 50 columns trains in a few seconds). Regression
    gets stronger weight decay: on scikit-learn's diabetes table held-out R² rises from
    0.27 (1e-4) to 0.33 (1e-2)."""
    batch = int(np.clip(n_train // 30, 32, 256))
    epochs = int(np.clip(math.ceil(TARGET_STEPS / math.ceil(n_train / batch)), 5, 150))
    return {"epochs": epochs, "batch_size": batch, "lr": 3e-3 if batch >= 128 else 1e-3,
            "weight_decay": 1e-2 if task == "regression" else 1e-4, "cosine": True}


def _save_csv(store: ModelStore, tm: TrainedModel, filename: str, target: str) -> None:
    folder = uploads_root(store) / tm.model_id
    folder.mkdir(parents=True, exist_ok=True)
    ModelStore(uploads_root(store)).save(tm.model_id, tm.module, {
        "source": "csv", "model_id": tm.model_id, "title": tm.spec.title, "filename": filename, "target": target,
        **save_data(folder, tm.data), "train": tm.spec.train,
        "arch": tm.spec.arch, "arch_kw": tm.spec.arch_kw, "accuracy": tm.accuracy, "hash": tm.hash,
    })


def save_data(folder: Path, d: Dataset) -> dict:
    """Write the data's arrays to folder/data.npz; returns what load_data needs besides them."""
    tmp = folder / f".data.{os.getpid()}.tmp.npz"
    np.savez(tmp, X=d.X, y=d.y, train_idx=d.train_idx, test_idx=d.test_idx)
    tmp.replace(folder / "data.npz")
    return {"dataset": d.name, "kind": d.kind, "description": d.description, "feature_names": list(d.feature_names),
            "class_names": list(d.class_names), "notes": list(d.notes), "task": d.task}


def load_data(folder: Path, meta: dict) -> Dataset:
    """The Dataset save_data stored (arrays read with allow_pickle=False)."""
    with np.load(folder / "data.npz", allow_pickle=False) as z:
        return Dataset(name=meta["dataset"], kind=meta.get("kind", "tabular"), X=z["X"], y=z["y"],
                       train_idx=z["train_idx"], test_idx=z["test_idx"], class_names=tuple(meta["class_names"]),
                       feature_names=tuple(meta["feature_names"]), description=meta["description"],
                       notes=tuple(meta["notes"]), task=meta.get("task", "classification"))


def _load_csv(service, folder: Path, meta: dict) -> TrainedModel:
    data = load_data(folder, meta)
    spec = ModelSpec(meta["model_id"], meta["title"], meta["model_id"], meta["arch"], meta["train"],
                     meta.get("arch_kw", {}))
    module = build_spec(spec, data)
    ModelStore(uploads_root(service.store)).load(meta["model_id"], module)
    return TrainedModel(spec, module, data, float(meta["accuracy"]), content_hash(module), source="csv",
                        head=spec_head(spec, data))


# ------------------------------------------------------------------------ TorchScript
def add_torchscript_model(service, content: bytes, input_shape=None, class_names=None, data_from: str | None = None,
                          title: str | None = None, **data) -> str:
    """Register a TorchScript model after checking it on the data it will be explained on
    (`data`: model_upload.add_file_model's data file, task and feature names)."""
    from .model_upload import ModelFile, add_file_model

    module, archive = load_torchscript(content)
    name = getattr(module, "original_name", "model")
    shape = tuple(int(v) for v in input_shape) if input_shape else None
    arch = f"TorchScript {getattr(module, 'original_name', '')}".strip()
    f = ModelFile("ts", "torchscript", "model.pt", content, archive, {}, shape, lambda: script_view(module),
                  lambda _: arch, f"TorchScript {name} ({{model_id}})")
    return add_file_model(service, f, class_names, data_from, title, **data)


def load_torchscript(content: bytes) -> tuple[torch.nn.Module, bytes]:
    """TorchScript archives only, as the module and the checked archive it came from. A
    torch.save file (pickled weights or module) is refused before anything reads it: its zip
    has no code/ folder and no constants.pkl."""
    if not content:
        raise ModelFileError("Not a TorchScript model file: the file is empty.")
    try:
        names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise ModelFileError("Not a TorchScript model file: it is not a zip archive. Save the model with "
                             "torch.jit.save(torch.jit.script(model), path) (or torch.jit.trace).") from None
    if not any("/code/" in "/" + n for n in names) or not any(n.endswith("constants.pkl") for n in names):
        raise ModelFileError("Not a TorchScript model file: this looks like a torch.save checkpoint (pickled "
                             "weights or module), which Glimpse never unpickles. Save the model with "
                             "torch.jit.save(torch.jit.script(model), path) (or torch.jit.trace).")
    return load_checked(content)


def with_class_names(data: Dataset, class_names) -> tuple[Dataset, tuple[str, ...] | None]:
    """The data with the classes renamed (when names are given), and the names."""
    if not class_names:
        return data, None
    class_names = tuple(str(c) for c in class_names)
    if len(class_names) != data.n_classes:
        raise ModelFileError(f"You gave {len(class_names)} class names, but the data {data.name!r} has "
                             f"{data.n_classes} classes ({', '.join(data.class_names)}).")
    return dataclasses.replace(data, class_names=class_names), class_names


def output_widths(data: Dataset) -> tuple[int, ...]:
    """How many outputs a model may return on `data`: one value for a regression; one logit
    per class, or a single output over two classes."""
    if data.regression:
        return (1,)
    return (data.n_classes, 1) if data.n_classes == 2 else (data.n_classes,)


def check_outputs(archive: bytes, data: Dataset, **forward) -> int:
    """first_outputs on two held-out samples of `data`, with the widths its classes allow."""
    return first_outputs(archive, data.X[data.test_idx[:2]], output_widths(data), data, **forward)


def first_outputs(archive: bytes, x: np.ndarray, widths, data: Dataset | None = None, **forward) -> int:
    """Two samples in, (2, width) finite outputs out (width in `widths`; None: any), then
    one sample, in a child process (model_safety.first_forward, given `forward`'s kind and
    batch); the width, or a ModelFileError that says what was given and what was expected."""
    got = first_forward(archive, x, **forward)
    if got["error"]:
        raise ModelFileError(f"The model fails on inputs of shape {tuple(x.shape)} (a batch of "
                             f"{tuple(x.shape[1:])}): {got['error']}")
    if got["type"] != "Tensor":
        raise ModelFileError(f"The model returns a {got['type']}; it must return one tensor of outputs of shape "
                             "(batch, outputs).")
    shape = tuple(got["shape"])
    width = shape[1] if len(shape) == 2 and shape[0] == len(x) else 1 if shape == (len(x),) else None
    if width is None or width < 1 or (widths is not None and width not in widths):
        raise ModelFileError(f"The model returns shape {shape} for a batch of {len(x)}; expected "
                             f"{_expected(len(x), widths, data)}.")
    if not got["finite"]:
        raise ModelFileError("The model returns NaN or infinite values on the sample data.")
    if got["single_error"]:
        raise ModelFileError(f"The model fails on a single sample: {got['single_error']}")
    return width


def _expected(n: int, widths, data: Dataset | None) -> str:
    if widths is None or data is None:
        return f"({n}, outputs): one row of outputs per sample" if widths is None else \
            f"{(n, widths[0])}: one predicted value"
    if data.regression:
        return f"{(n, 1)}: one predicted value (the data {data.name!r} holds values, not classes)"
    k = data.n_classes
    return f"{(n, k)}: one logit per class ({k} classes)" + (
        f", or {(n, 1)}: one output for two classes (a logit or a probability)" if 1 in widths else "")


def _data_for(service, input_shape: tuple[int, ...], data_from: str | None) -> tuple[Dataset, dict]:
    """The data to explain the model on, and how to find it again after a restart."""
    if input_shape == IMAGE_SHAPE:
        return service.dataset("image"), {"dataset": "image"}
    if data_from:
        spec = service.specs.get(data_from)
        data = service.dataset(spec.dataset) if spec else service.dataset_for(data_from)
        if data.input_shape != input_shape:
            raise ModelFileError(f"The data of {data_from!r} has input shape {data.input_shape}, but the model "
                                 f"takes {input_shape}.")
        return data, ({"dataset": spec.dataset} if spec else {"model": data_from})
    with service._lock:
        loaded = list(service._models.values())
    for tm in loaded:
        if tm.data.input_shape == input_shape:
            ref = {"dataset": tm.spec.dataset} if tm.model_id in service.specs else {"model": tm.model_id}
            return tm.data, ref
    for spec in service.specs.values():
        if spec.dataset != "image":
            data = service.dataset(spec.dataset)
            if data.input_shape == input_shape:
                return data, {"dataset": spec.dataset}
    if len(input_shape) == 3:
        images = [service.dataset(s.dataset) for s in service.specs.values() if spec_kind(s) == "image"]
        shapes = {"×".join(map(str, d.input_shape)): d.name for d in images}
        raise ModelFileError(
            f"No images of shape {'×'.join(map(str, input_shape))} are available to explain this model on. The "
            f"built-in images are {'; '.join(f'{k} ({v})' for k, v in shapes.items()) or 'none here'}. For "
            "images of your own, upload a data file (.npz with X and y) beside the model, or use "
            "glimpse.show(model, X) from Python.")
    raise ModelFileError(
        f"No data with input shape {input_shape} is available. Image models must take one of the built-in "
        f"image shapes; for a tabular model, upload a data file (.npz or a CSV with a target column) beside it, "
        f"or first train on a CSV with {input_shape[0] if len(input_shape) == 1 else '?'} feature columns and "
        "choose it as the model's data.")


def _load_torchscript(service, folder: Path, meta: dict) -> TrainedModel:
    from .model_upload import restore_file_model

    module, _ = load_torchscript((folder / "model.pt").read_bytes())   # the same checks as an upload
    return restore_file_model(service, folder, meta, script_view(module))


# ------------------------------------------------------------------- restore and list
def load_upload(service, model_id: str) -> TrainedModel | None:
    """A stored upload, or None when there is none (or it cannot be read: logged, not raised)."""
    if not isinstance(model_id, str) or not UPLOAD_ID.match(model_id):
        return None   # also keeps a crafted id from naming a path outside the store
    folder = uploads_root(service.store) / model_id
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        log.warning("Stored upload %s has unreadable metadata: %s", model_id, e)
        return None
    try:
        if meta.get("source") == "csv":
            return _load_csv(service, folder, meta)
        if meta.get("source") == "torchscript":
            return _load_torchscript(service, folder, meta)
        if meta.get("source") == "torch.export":
            from .model_files import load_stored_exported
            return load_stored_exported(service, folder, meta)
        log.warning("Stored upload %s has unknown source %r", model_id, meta.get("source"))
    except (GlimpseError, OSError, ValueError, KeyError, TypeError, RuntimeError, zipfile.BadZipFile) as e:
        log.warning("Stored upload %s cannot be restored: %s", model_id, e)
    return None


def stored_upload_ids(store: ModelStore) -> list[str]:
    """Ids of finished uploads on disk, oldest first."""
    root = uploads_root(store)
    found = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return []
    for d in entries:
        meta = d / "meta.json"
        try:
            if UPLOAD_ID.match(d.name) and meta.is_file():
                found.append((meta.stat().st_mtime, d.name))
        except OSError:
            continue
    return [name for _, name in sorted(found)]


def _already_there(service, model_id: str) -> TrainedModel | None:
    with service._lock:
        tm = service._models.get(model_id)
    if tm is None:
        with service._load_lock:             # as service._model loads one (numpy's .npz parsing)
            tm = load_upload(service, model_id)
        if tm is not None:
            service.register(tm)
    return tm


def _write(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(content)
    tmp.replace(path)
