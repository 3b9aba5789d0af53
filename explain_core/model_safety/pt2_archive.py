"""The zip side of a torch.export (.pt2) upload: limits, an allow-list of entries, the
weights' tables checked, and a clean copy written for torch to read.

What torch.export.load would run from the file, and what this module does about it:
- pickles: weights and constants marked `use_pickle` go through torch.load(weights_only=
  False), and the sample inputs through torch.load with a fallback to weights_only=False
  (a crafted pickle there runs even though loading then fails); opaque objects through
  pickle.loads, custom C++ objects through their own __setstate__. Refused, except the
  sample inputs, which Glimpse never reads: the clean copy holds an empty entry instead.
- compiled code (data/aotinductor/: a shared library torch would dlopen): refused.
- the program itself (models/model.json): rebuilt by pt2_graph.clean_program.
Every weight is raw bytes whose table (sizes, strides, offset, dtype) must fit the bytes
there are, and their logical sizes together stay under the inflated-size limit (a stride-0
view of one number could otherwise claim terabytes).
"""
from __future__ import annotations

import io
import json
import re
import sys
import zipfile

import torch
from torch._export.serde.serialize import _SERIALIZE_TO_TORCH_DTYPE

from .archive import MIB, _inflate, open_archive
from .limits import ModelLimits
from .pt2_checks import PATH, need, refused, tensor_meta
from .pt2_graph import clean_program

ROOT = "archive"
CONFIGS = {"data/weights/model_weights_config.json": ("data/weights/", re.compile(r"weight_\d{1,9}\Z")),
           "data/constants/model_constants_config.json": ("data/constants/", re.compile(r"tensor_\d{1,9}\Z"))}
KEPT = {"archive_format", "archive_version", "byteorder", ".data/version"}
IGNORED = re.compile(r"(?:extra/.*|\.data/serialization_id|data/sample_inputs/model\.pt)\Z")
PAYLOAD = re.compile(r"data/(?:weights|constants)/[A-Za-z0-9_]{1,40}\Z")
NAMED_REFUSALS = (
    ("data/aotinductor/", "compiled native code (AOTInductor), which would run on this server as it loads"),
    ("models/", "more than one program; Glimpse loads files of one program, saved by torch.export.save"),
    ("data/sample_inputs/", "more than one program; Glimpse loads files of one program, saved by "
                            "torch.export.save"),
)


def is_pt2(content: bytes) -> bool:
    """Whether `content` looks like a torch.export archive (decided from the zip's directory)."""
    try:
        names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False
    return any(n.split("/", 1)[-1] in ("archive_format", "models/model.json", "serialized_exported_program.json")
               for n in names)


def clean_pt2(content: bytes, limits: ModelLimits | None = None) -> tuple[bytes, dict]:
    """(a clean .pt2 archive holding only checked entries, facts about the program), or a
    ModelFileError that names what was refused."""
    limits = limits or ModelLimits.from_env()
    entries = _entries(content, limits)
    need(entries.get("archive_format") == b"pt2" and entries.get("archive_version") == b"0",
         "it is not a torch.export file of this PyTorch's format (archive_format pt2, version 0); save it with "
          "torch.export.save")
    need(entries.get("byteorder", b"little") == sys.byteorder.encode(), "its weights are stored big-endian")
    program, facts = clean_program(_json(entries, "models/model.json"))
    clean = {name: entries[name] for name in KEPT if name in entries}
    clean["models/model.json"] = json.dumps(program).encode()
    clean["data/sample_inputs/model.pt"] = b""       # torch reads the entry; an empty one means "none"
    claimed = 0                                      # bytes all weights claim once laid out
    for config_name, (folder, file_name) in CONFIGS.items():
        config, nbytes = _payload_config(entries, config_name, folder, file_name)
        claimed += nbytes
        clean[config_name] = json.dumps({"config": config}).encode()
        for meta in config.values():
            clean[folder + meta["path_name"]] = entries[folder + meta["path_name"]]
    need(claimed <= limits.inflated_mb * MIB, f"its weights claim {claimed / MIB:,.1f} MB once laid out; the limit "
                                               f"is {limits.setting('inflated_mb')}")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, data in clean.items():
            z.writestr(zipfile.ZipInfo(f"{ROOT}/{name}", date_time=(1980, 1, 1, 0, 0, 0)), data)
    return out.getvalue(), facts


def _entries(content: bytes, limits: ModelLimits) -> dict[str, bytes]:
    """Every entry under the archive's one top folder, checked against the allow-list and the
    limits before it is inflated."""
    zf, infos = open_archive(content, limits)
    roots = {info.filename.split("/", 1)[0] for info in infos}
    need(len(roots) == 1 and all("/" in i.filename for i in infos), "its entries are not in one top folder")
    entries = {}
    for info in infos:
        name = info.filename.split("/", 1)[1]
        if name.endswith("/") or IGNORED.match(name):
            continue
        if name in ("version", "serialized_exported_program.json", "data/weights/model.pt",
                    "data/constants/model.pt"):
            raise refused("it is in an older torch.export format that stores pickles; save it again with "
                          "torch.export.save from this PyTorch")
        if not (name in KEPT or name in CONFIGS or name == "models/model.json" or PAYLOAD.match(name)):
            why = next((w for prefix, w in NAMED_REFUSALS if name.startswith(prefix)), None)
            raise refused(f"it holds {why}" if why else f"it holds the entry {name[:80]!r}, which torch.export.save "
                                                        "does not write for a plain program")
        entries[name] = _inflate(zf, info)
    return entries


def _payload_config(entries: dict, config_name: str, folder: str, file_name) -> tuple[dict, int]:
    """A weights or constants table with every entry checked against the bytes it names,
    and the bytes its tensors claim once laid out."""
    raw = _json(entries, config_name).get("config") if config_name in entries else {}
    need(isinstance(raw, dict), f"its table {config_name} is malformed")
    out, claimed = {}, 0
    for fqn, meta in raw.items():
        need(isinstance(fqn, str) and PATH.match(fqn), f"its table {config_name} names a weight that is not a "
                                                        "dotted path of identifiers")
        need(isinstance(meta, dict), f"its table {config_name} is malformed")
        path = meta.get("path_name")
        if isinstance(path, str) and path.startswith(("custom_obj_", "opaque_obj_")):
            raise refused(f"its constant {fqn!r} is a Python or C++ object, which would run code as it loads")
        if meta.get("use_pickle") is not False:
            raise refused(f"its weight {fqn!r} is stored as a pickle (a tensor subclass or a quantized tensor), "
                          "which Glimpse never unpickles; export a model of plain tensors")
        need(isinstance(path, str) and file_name.match(path) and folder + path in entries,
             f"its weight {fqn!r} names a missing entry")
        tensor = tensor_meta(meta.get("tensor_meta"), f"weight {fqn}")
        need(all("as_int" in s for s in tensor["sizes"] + tensor["strides"] + [tensor["storage_offset"]]),
             f"its weight {fqn!r} has a symbolic shape")
        tensor["device"] = {"type": "cpu", "index": None}      # whatever it was saved from, it loads on the CPU
        claimed += _check_extent(fqn, tensor, len(entries[folder + path]))
        need(isinstance(meta.get("is_param"), bool), f"its table {config_name} is malformed")
        out[fqn] = {"path_name": path, "is_param": meta["is_param"], "use_pickle": False, "tensor_meta": tensor}
    return out, claimed


def _check_extent(fqn: str, tensor: dict, nbytes: int) -> int:
    """The bytes the tensor claims, after checking that its view fits the entry's bytes."""
    sizes = [s["as_int"] for s in tensor["sizes"]]
    strides = [s["as_int"] for s in tensor["strides"]]
    offset = tensor["storage_offset"]["as_int"]
    need(min(sizes + strides + [offset], default=0) >= 0, f"its weight {fqn!r} has a negative size or stride")
    item = torch.empty((), dtype=_SERIALIZE_TO_TORCH_DTYPE[tensor["dtype"]]).element_size()
    numel = 1
    for s in sizes:
        numel *= s
    needed = 0 if numel == 0 else offset + sum((n - 1) * st for n, st in zip(sizes, strides)) + 1
    need(nbytes % item == 0 and needed * item <= nbytes, f"its weight {fqn!r} claims more values than its "
                                                          "entry holds")
    return numel * item


def _json(entries: dict, name: str):
    if name not in entries:
        raise refused(f"it has no {name} (save it with torch.export.save)")
    try:
        return json.loads(entries[name])
    except (ValueError, RecursionError):
        raise refused(f"its {name} is not valid JSON") from None
