"""One path for an uploaded model file, .pt2 or TorchScript (`ModelFile` says how the two
differ): the data to explain it on (a data file uploaded beside it, built-in images of its
shape, or another model's table), the first forward in a child process, the head told
from its outputs on every sample and the labels (as glimpse.show tells it), then the model
registered and kept in the store, its data beside it when the data came as a file:

    <store>/uploads/<id>/model.pt2 | model.pt, meta.json, data.npz (data-file uploads)
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Callable

from torch import nn

from .data.csv_upload import TASKS
from .errors import ModelFileError, ParameterError
from .models.heads import Head
from .models.inprocess import outputs, trained_model
from .models.store import content_hash
from .models.zoo import ModelSpec, TrainedModel
from .upload_data import DataFile, Known, data_candidate
from .uploads import (_already_there, _data_for, _write, first_outputs, load_data, save_data, uploads_root,
                      with_class_names)


@dataclasses.dataclass(frozen=True)
class ModelFile:
    prefix: str                      # of the model id: 'pt2' or 'ts'
    source: str                      # 'torch.export' or 'torchscript'
    stored_as: str                   # 'model.pt2' or 'model.pt'
    content: bytes                   # as uploaded
    checked: bytes                   # the checked archive the child runs
    forward: dict                    # first_forward's kind and batch
    input_shape: tuple | None        # None: a TorchScript file, whose data says it
    load: Callable[[], nn.Module]    # the module seen layer by layer (after the child's check)
    arch: Callable[[nn.Module], str]   # the architecture the model card names
    title: str                       # the default title, with {model_id}


def add_file_model(service, f: ModelFile, class_names=None, data_from: str | None = None, title: str | None = None,
                   data: DataFile | None = None, task: str | None = None, feature_names=None) -> str:
    """Register the model file on its data; returns its id (the same file on the same data:
    the same id, and nothing runs again)."""
    if task is not None and task not in TASKS:
        raise ParameterError(f"The task must be 'classification' or 'regression', not {task!r}.")
    suffix = b"" if data is None and task is None else b"\0" + (data.digest() if data else b"") + b"\0" + \
        (task or "").encode()           # uploads on built-in data keep the ids they had
    model_id = f"{f.prefix}-{hashlib.sha1(f.content + suffix).hexdigest()[:10]}"
    if _already_there(service, model_id) is not None:
        return model_id
    with service._load_lock:     # reading a .npz: numpy's header parsing is not thread-safe (service._model)
        cand = _candidate(service, f, data_from, data, task)
    data_shape = tuple(cand.X.shape[1:])
    first_outputs(f.checked, cand.probe(), cand.widths(task), getattr(cand, "data", None), **f.forward)
    module = f.load()
    logits = outputs(module, cand.X)
    dataset, head = cand.finish(logits, task, class_names, feature_names)
    title = title or f.title.format(model_id=model_id)
    tm, logits = trained_model(module, dataset, model_id, title, f.source, logits=logits, labelled=cand.labelled,
                               head=head)
    tm.spec = dataclasses.replace(tm.spec, arch=f.arch(module))
    tm.trained_now = True
    folder = uploads_root(service.store) / model_id
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / f.stored_as, f.content)
    ref = cand.ref if cand.ref is not None else {"file": "data.npz", **save_data(folder, dataset)}
    _write(folder / "meta.json", json.dumps({
        "source": f.source, "model_id": model_id, "title": title, "input_shape": list(data_shape),
        "class_names": list(dataset.class_names), "data": ref, "arch": tm.spec.arch, "accuracy": tm.accuracy,
        "hash": tm.hash, "output": head.output, "labelled": cand.labelled,
    }, indent=2).encode())
    service.register(tm, logits)
    return model_id


def _candidate(service, f: ModelFile, data_from, data: DataFile | None, task):
    if data is not None:
        return data_candidate(data, f.input_shape, service.settings.seed, task)
    if not f.input_shape:
        raise ModelFileError("A TorchScript file does not say which inputs it takes: give the input shape of one "
                             "sample (e.g. 1,28,28), or a data file whose samples it takes.")
    return Known(*_data_for(service, tuple(f.input_shape), data_from))


def restore_file_model(service, folder: Path, meta: dict, module: nn.Module) -> TrainedModel:
    """A stored model-file upload (its module loaded through the same checks as when it came)."""
    ref = meta["data"]
    if "file" in ref:
        data = load_data(folder, ref)
    else:
        data = service.dataset(ref["dataset"]) if "dataset" in ref else service.dataset_for(ref["model"])
    data, _ = with_class_names(data, meta.get("class_names"))
    spec = ModelSpec(meta["model_id"], meta["title"], data.name, meta["arch"])
    return TrainedModel(spec, module, data, float(meta["accuracy"]), content_hash(module), source=meta["source"],
                        head=Head(meta.get("output", "logits")))
