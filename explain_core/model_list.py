"""A team's models, listed in a YAML file (`glimpse --models FILE`, or GLIMPSE_MODELS=FILE)
and registered with the service at start.

    models:
      - id: fashion-cnn                      # optional: told from the title or the file
        title: Fashion CNN (exported)
        file: models/fashion_cnn.pt2         # a torch.export .pt2 or a TorchScript file
        data: {idx: data/fashion}
        class_names: [T-shirt, Trouser, ...]
      - title: Churn MLP
        factory: churn.models:make_mlp       # package.module:function, called with args
        args: {hidden: 64}
        weights: models/churn_state.pt       # a state_dict, torch.load(weights_only=True)
        data: {csv: data/churn.csv, target: churned}
        normalize: {mean: [...], std: [...]} # per channel / feature, applied inside the model

Paths are relative to the list file. A model file passes the same checks as an upload
(model_safety: no code from the file runs, its first forward runs in a child process); a
factory is the team's own code, imported like any Python module (the list's folder is on
the import path), so the list is trusted configuration. Each entry that cannot be loaded
gives one message (logged, kept in service.notices for the page) and the others still load.
"""
from __future__ import annotations

import dataclasses
import importlib
import logging
import re
import sys
from pathlib import Path

import numpy as np
import torch
import yaml
from torch import nn

from .data.arrays import as_samples
from .errors import DataError, GlimpseError, ModelError
from .model_files import checked_module
from .model_list_data import (Arrays, all_rows, classes_from_labels, dataset_from_arrays, read_data,
                              rename_features)
from .models.inprocess import outputs, trained_model
from .models.normalised import Normalised
from .uploads import with_class_names

log = logging.getLogger("glimpse.model_list")
KEYS = {"id", "title", "file", "factory", "args", "weights", "data", "task", "class_names", "feature_names",
        "input_shape", "normalize", "normalise"}
FACTORY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*\Z")
MODEL_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,59}\Z")
SOURCE = "model-list"


def load_model_list(service, path, lazy: bool = False) -> list[str]:
    """Register every model of the list at `path`; returns one message per entry that could
    not be (also logged and added to service.notices). lazy=True (a Celery worker, which must
    not run torch before it forks): each model loads when a task first asks for it."""
    path = Path(path)
    problems = []
    try:
        entries = read_list(path)
    except DataError as e:
        entries, problems = [], [f"Model list {path}: {e}"]
    taken = set(service.model_ids())
    for i, entry in enumerate(entries, 1):
        label = f"Model list {path.name}, entry {i}"
        try:
            model_id = _model_id(entry, taken)
            label += f" ({model_id})"
            taken.add(model_id)
            load = _loader(service, entry, path.parent.resolve(), model_id)
            if lazy:
                service.add_loader(model_id, lambda load=load: load()[0])
            else:
                service.register(*load())
        except Exception as e:  # noqa: BLE001 - one message per bad entry; the others still load
            problems.append(f"{label}: {_message(e)}")
    for p in problems:
        log.warning(p)
    service.notices.extend(problems)
    return problems


def read_list(path: Path) -> list[dict]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise DataError(f"cannot read it ({e.strerror or e}).") from None
    except yaml.YAMLError as e:
        raise DataError(f"it is not valid YAML ({str(e).splitlines()[0]}).") from None
    entries = doc.get("models") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise DataError("it must hold a list of models (a top-level `models:` list).")
    return entries


def _loader(service, entry, base: Path, model_id: str):
    """Checks what can be checked without torch, then a function that builds the model:
    (TrainedModel, its outputs for every sample)."""
    if not isinstance(entry, dict):
        raise DataError("an entry must be a mapping of settings (title, file or factory, data, ...).")
    unknown = set(entry) - KEYS
    if unknown:
        raise DataError(f"unknown setting(s) {', '.join(sorted(map(str, unknown)))}; known: {', '.join(sorted(KEYS))}.")
    if ("file" in entry) == ("factory" in entry):
        raise DataError("give either file (a .pt2 or TorchScript file) or factory (package.module:function).")
    if "data" not in entry:
        raise DataError("data is missing: name a built-in data set or a csv, idx, npz or npy file.")
    task = entry.get("task")
    if task not in (None, "classification", "regression"):
        raise DataError(f"task must be classification or regression, not {task!r}.")
    if "factory" in entry and not FACTORY.match(str(entry["factory"])):
        raise DataError(f"factory {entry['factory']!r} is not of the form package.module:function.")
    title = str(entry.get("title") or model_id)
    return lambda: _build(service, entry, base, model_id, title, task)


def _build(service, entry: dict, base: Path, model_id: str, title: str, task: str | None):
    data = read_data(service, entry["data"], base, task)
    task = task or getattr(data, "task", None) or "classification"
    names = tuple(str(c) for c in entry["class_names"]) if entry.get("class_names") else None
    if "file" in entry:
        module = _file_module(entry, base, data, names, task)
    else:
        module = _factory_module(entry, base)
    if entry.get("normalize", entry.get("normalise")) is not None:
        shape = tuple(data.X.shape[1:])
        norm = entry.get("normalize", entry.get("normalise"))
        if not isinstance(norm, dict) or set(norm) != {"mean", "std"}:
            raise DataError("normalize must have mean and std (one number, or one per channel or feature).")
        module = Normalised(module, norm["mean"], norm["std"], shape)
    if isinstance(data, Arrays):
        logits = outputs(module, as_samples(all_rows(data), f"{data.name} X"))
        classes = names or classes_from_labels(data.y) or _classes_for(logits.shape[1], task)
        dataset = dataset_from_arrays(data, classes, task, _predicted(logits, task), entry.get("feature_names"))
        return trained_model(module, dataset, model_id, title, SOURCE, logits=logits, labelled=data.y is not None)
    data, _ = with_class_names(data, names)
    if entry.get("feature_names"):
        data = rename_features(data, entry["feature_names"])
    return trained_model(module, data, model_id, title, SOURCE)


def _file_module(entry: dict, base: Path, data, names, task: str) -> nn.Module:
    path = Path(str(entry["file"])).expanduser()
    path = path if path.is_absolute() else base / path
    try:
        content = path.read_bytes()
    except OSError as e:
        raise ModelError(f"the model file {path} cannot be read ({e.strerror or e}).") from None
    if isinstance(data, Arrays):       # the check in a child needs a data set: the first rows will do
        classes = names or classes_from_labels(data.y) or _classes_for(None, task)
        data = dataset_from_arrays(dataclasses.replace(data, y=None, y_train=None), classes, task,
                                   np.zeros(len(all_rows(data)), np.float32 if task == "regression" else np.int64))
    return checked_module(content, data, entry.get("input_shape"))


def _factory_module(entry: dict, base: Path) -> nn.Module:
    module_name, fn_name = str(entry["factory"]).split(":")
    if str(base) not in sys.path:
        sys.path.append(str(base))                   # the team's package beside its list
    try:
        fn = getattr(importlib.import_module(module_name), fn_name)
    except Exception as e:  # noqa: BLE001 - any failure while importing the team's code
        raise ModelError(f"factory {entry['factory']}: cannot import it ({type(e).__name__}: {e}).") from None
    args = entry.get("args") or {}
    if not isinstance(args, dict):
        raise DataError("args must be a mapping of keyword arguments for the factory.")
    try:
        model = fn(**args)
    except Exception as e:  # noqa: BLE001
        raise ModelError(f"factory {entry['factory']} failed ({type(e).__name__}: {e}).") from None
    if not isinstance(model, nn.Module):
        raise ModelError(f"factory {entry['factory']} returned a {type(model).__name__}, not a torch.nn.Module.")
    if entry.get("weights"):
        model.load_state_dict(_state_dict(base, entry["weights"], model))
    return model.eval()


def _state_dict(base: Path, name, model: nn.Module) -> dict:
    path = Path(str(name)).expanduser()
    path = path if path.is_absolute() else base / path
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelError(f"the weights file {path} does not exist.") from None
    except Exception as e:  # noqa: BLE001 - torch raises many kinds for a file it refuses
        raise ModelError(f"the weights file {path.name} cannot be loaded with torch.load(weights_only=True): "
                         f"{_message(e)}") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelError(f"the weights file {path.name} does not hold a state_dict (a mapping of names to tensors).")
    ours = model.state_dict()
    missing, extra = sorted(set(ours) - set(state)), sorted(set(state) - set(ours))
    wrong = [k for k in ours if k in state and tuple(state[k].shape) != tuple(ours[k].shape)]
    if missing or extra or wrong:
        parts = [f"{what}: {', '.join(keys[:4])}{' …' if len(keys) > 4 else ''}"
                 for what, keys in (("missing", missing), ("unexpected", extra), ("other shape", wrong)) if keys]
        raise ModelError(f"the weights in {path.name} do not fit the factory's model ({'; '.join(parts)}).")
    return state


def _model_id(entry, taken: set) -> str:
    given = entry.get("id") if isinstance(entry, dict) else None
    if given is not None:
        if not isinstance(given, str) or not MODEL_ID.match(given):
            raise DataError(f"id {given!r} must be lower-case letters, digits, '.', '_' or '-' (at most 60).")
        if given in taken:
            raise DataError(f"id {given!r} is already used by another model.")
        return given
    entry = entry if isinstance(entry, dict) else {}
    source = entry.get("title") or Path(str(entry.get("file", ""))).stem or str(entry.get("factory", "")).split(":")[-1]
    base = re.sub(r"[^a-z0-9]+", "-", str(source).lower()).strip("-")[:60] or "model"
    model_id, k = base, 2
    while model_id in taken:
        model_id, k = f"{base}-{k}", k + 1
    return model_id


def _classes_for(width: int | None, task: str) -> tuple[str, ...]:
    if task == "regression":
        return ("value",)
    if width is None:
        raise DataError("give class_names or labels: the number of classes cannot be told from a TorchScript file "
                        "before it runs.")
    return tuple(str(k) for k in range(width if width > 1 else 2))


def _predicted(logits: np.ndarray, task: str) -> np.ndarray:
    if task == "regression":
        return logits[:, 0].astype(np.float32)
    if logits.shape[1] == 1:                      # one output: a logit, or a probability in 0..1
        from .models.heads import binary_output
        return (logits[:, 0] > (0.5 if binary_output(logits) == "probability" else 0.0)).astype(np.int64)
    return logits.argmax(1)


def _message(e: BaseException) -> str:
    if isinstance(e, GlimpseError):
        return str(e)
    text = str(e).strip() or type(e).__name__
    return f"{type(e).__name__}: {text.splitlines()[0][:300]}"
