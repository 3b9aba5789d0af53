"""Model files a team brings: a torch.export (.pt2) or TorchScript archive, told apart by
its content, checked by model_safety and registered with the service.

An upload is kept in the model store (<store>/uploads/pt2-<hash>/model.pt2 + meta.json, as
uploads.py keeps TorchScript files) and passes the same checks again when restored. The
model list (model_list.py) calls exported_model directly on the data its entry names.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from torch import nn

from .data.dataset import Dataset
from .errors import ModelFileError
from .model_safety.exported import load_exported, module_from_clean
from .model_safety.pt2_archive import clean_pt2, is_pt2
from .models.store import content_hash
from .models.training import accuracy
from .models.zoo import ModelSpec, TrainedModel
from .models.script_view import script_view
from .uploads import (_already_there, _data_for, _write, check_outputs, load_torchscript, uploads_root,
                      with_class_names)

SOURCE = "torch.export"


def add_model_file(service, content: bytes, input_shape=None, class_names=None, data_from: str | None = None,
                   title: str | None = None) -> str:
    """A .pt2 (its input shape is read from the file; a given one must agree) or a
    TorchScript file (input_shape needed); returns the new model's id."""
    if is_pt2(content):
        return add_exported_model(service, content, class_names, data_from, title, input_shape)
    if not input_shape:
        raise ModelFileError("A TorchScript file does not say which inputs it takes: give the input shape of one "
                             "sample (e.g. 1,28,28).")
    return service.add_torchscript_model(content, input_shape, class_names, data_from, title)


def add_exported_model(service, content: bytes, class_names=None, data_from: str | None = None,
                       title: str | None = None, input_shape=None) -> str:
    """Register an uploaded torch.export classifier after checking it on the data it will be
    explained on (found by the input shape the file declares, or `data_from`)."""
    model_id = "pt2-" + hashlib.sha1(content).hexdigest()[:10]
    if _already_there(service, model_id) is not None:
        return model_id
    clean, facts = clean_pt2(content)
    _check_shape(facts, input_shape)
    data, data_ref = _data_for(service, facts["input_shape"], data_from)
    data, class_names = with_class_names(data, class_names)
    title = title or f"torch.export model ({model_id})"
    tm = exported_model(clean, facts, data, model_id, title, trained_now=True)
    folder = uploads_root(service.store) / model_id
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "model.pt2", content)
    _write(folder / "meta.json", json.dumps({
        "source": SOURCE, "model_id": model_id, "title": title, "input_shape": list(facts["input_shape"]),
        "class_names": list(class_names) if class_names else None, "data": data_ref, "arch": tm.spec.arch,
        "accuracy": tm.accuracy, "hash": tm.hash,
    }, indent=2).encode())
    service.register(tm)
    return model_id


def exported_model(clean: bytes, facts: dict, data: Dataset, model_id: str, title: str,
                   trained_now: bool = False, source: str = SOURCE) -> TrainedModel:
    """The checked program (clean_pt2's output) on `data`, as a model to register."""
    module = _checked_exported(clean, facts, data)
    root = getattr(module, "glimpse_type", None) or "program"
    spec = ModelSpec(model_id, title, data.name, f"torch.export {root}")
    return TrainedModel(spec, module, data, accuracy(module, data.X_test, data.y_test), content_hash(module),
                        trained_now=trained_now, source=source)


def checked_module(content: bytes, data: Dataset, input_shape=None) -> nn.Module:
    """A .pt2 or TorchScript file checked as an upload is and first run in a child process on
    two samples of `data`: its module, seen layer by layer (input_shape: a .pt2's must agree)."""
    if is_pt2(content):
        clean, facts = clean_pt2(content)
        _check_shape(facts, input_shape)
        return _checked_exported(clean, facts, data)
    module, archive = load_torchscript(content)
    check_outputs(archive, data)
    return script_view(module)


def _checked_exported(clean: bytes, facts: dict, data: Dataset) -> nn.Module:
    """Its first forward in a child with limits, then loaded here with its layers."""
    if tuple(facts["input_shape"]) != tuple(data.input_shape):
        raise ModelFileError(f"The model takes inputs of shape {tuple(facts['input_shape'])}, but the data "
                             f"{data.name!r} has samples of shape {tuple(data.input_shape)}.")
    check_outputs(clean, data, kind="pt2", batch=facts["batch"])
    return module_from_clean(clean, facts)


def load_stored_exported(service, folder: Path, meta: dict) -> TrainedModel:
    """A stored .pt2 upload, through the same checks as when it came."""
    module, clean, facts = load_exported((folder / "model.pt2").read_bytes())
    ref = meta["data"]
    data = service.dataset(ref["dataset"]) if "dataset" in ref else service.dataset_for(ref["model"])
    data, _ = with_class_names(data, meta.get("class_names"))
    spec = ModelSpec(meta["model_id"], meta["title"], data.name, meta["arch"])
    return TrainedModel(spec, module, data, float(meta["accuracy"]), content_hash(module), source=SOURCE)


def _check_shape(facts: dict, given) -> None:
    if given and tuple(int(v) for v in given) != tuple(facts["input_shape"]):
        raise ModelFileError(f"The file says the model takes inputs of shape {tuple(facts['input_shape'])}, not "
                             f"{tuple(int(v) for v in given)}.")
