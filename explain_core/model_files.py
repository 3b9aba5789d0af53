"""Model files a team brings: a torch.export (.pt2) or TorchScript archive, told apart by
its content, checked by model_safety and registered with the service (model_upload.py:
its data, its head, its record in the store).

An upload is kept in the model store (<store>/uploads/pt2-<hash>/model.pt2 + meta.json, as
uploads.py keeps TorchScript files) and passes the same checks again when restored. The
model list (model_list.py) calls checked_module on the data its entry names.
"""
from __future__ import annotations

from pathlib import Path

from torch import nn

from .data.dataset import Dataset
from .errors import ModelFileError
from .model_safety.exported import load_exported, module_from_clean
from .model_safety.pt2_archive import clean_pt2, is_pt2
from .model_upload import ModelFile, add_file_model, restore_file_model
from .models.script_view import script_view
from .models.zoo import TrainedModel
from .uploads import check_outputs, load_torchscript

SOURCE = "torch.export"


def add_model_file(service, content: bytes, input_shape=None, class_names=None, data_from: str | None = None,
                   title: str | None = None, **data) -> str:
    """A .pt2 (its input shape is read from the file; a given one must agree) or a
    TorchScript file (input shape given, or that of the data file's samples); returns the
    new model's id. `data`: a data file to explain it on (upload_data.DataFile), task,
    feature_names (model_upload.add_file_model)."""
    if is_pt2(content):
        return add_exported_model(service, content, class_names, data_from, title, input_shape, **data)
    return service.add_torchscript_model(content, input_shape, class_names, data_from, title, **data)


def add_exported_model(service, content: bytes, class_names=None, data_from: str | None = None,
                       title: str | None = None, input_shape=None, **data) -> str:
    """Register an uploaded torch.export model after checking it on the data it will be
    explained on (a data file, the built-in images of the input shape the file declares, or
    `data_from`'s)."""
    clean, facts = clean_pt2(content)
    _check_shape(facts, input_shape)
    f = ModelFile("pt2", SOURCE, "model.pt2", content, clean, {"kind": "pt2", "batch": facts["batch"]},
                  tuple(facts["input_shape"]), lambda: module_from_clean(clean, facts), _arch,
                  "torch.export model ({model_id})")
    return add_file_model(service, f, class_names, data_from, title, **data)


def checked_module(content: bytes, data: Dataset, input_shape=None) -> nn.Module:
    """A .pt2 or TorchScript file checked as an upload is and first run in a child process on
    two samples of `data`: its module, seen layer by layer (input_shape: a .pt2's must agree)."""
    if is_pt2(content):
        clean, facts = clean_pt2(content)
        _check_shape(facts, input_shape)
        if tuple(facts["input_shape"]) != tuple(data.input_shape):
            raise ModelFileError(f"The model takes inputs of shape {tuple(facts['input_shape'])}, but the data "
                                 f"{data.name!r} has samples of shape {tuple(data.input_shape)}.")
        check_outputs(clean, data, kind="pt2", batch=facts["batch"])
        return module_from_clean(clean, facts)
    module, archive = load_torchscript(content)
    check_outputs(archive, data)
    return script_view(module)


def load_stored_exported(service, folder: Path, meta: dict) -> TrainedModel:
    """A stored .pt2 upload, through the same checks as when it came."""
    module, _, _ = load_exported((folder / "model.pt2").read_bytes())
    return restore_file_model(service, folder, meta, module)


def _arch(module: nn.Module) -> str:
    return f"torch.export {getattr(module, 'glimpse_type', None) or 'program'}"


def _check_shape(facts: dict, given) -> None:
    if given and tuple(int(v) for v in given) != tuple(facts["input_shape"]):
        raise ModelFileError(f"The file says the model takes inputs of shape {tuple(facts['input_shape'])}, not "
                             f"{tuple(int(v) for v in given)}.")
