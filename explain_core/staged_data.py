"""A data file dropped on the page beside a model file, kept until the model comes.

The page sends each file in a request of its own (the request size limit is one file's),
so the data waits on disk where any worker process finds it:
<model store>/staged-data/<key>.data and <key>.json (its file name), key = the first 20
hex digits of its SHA-1. It is checked when it comes (a bad file is a message at once)
and again when a model uses it. Staged files older than a day, and all but the newest
MOST, are removed whenever another file comes.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DataError
from .models.store import ModelStore
from .upload_data import DataFile, describe
from .uploads import _write

KEY = re.compile(r"[0-9a-f]{20}\Z")
KEEP_S = 24 * 3600
MOST = 50


@dataclass(frozen=True)
class StagedData:
    key: str
    filename: str
    kind: str                                   # 'npz' or 'csv'
    summary: str                                # '64 samples of 3×32×32 with labels y (10 distinct values)'
    targets: tuple[str, ...] = ()               # a CSV's columns that can be the target
    target_tasks: dict = field(default_factory=dict)   # target -> its tasks, the default first
    target: str | None = None                   # the suggested one


def staged_root(store: ModelStore) -> Path:
    return Path(store.root) / "staged-data"


def stage(store: ModelStore, content: bytes, filename: str) -> StagedData:
    f = DataFile(content, filename if isinstance(filename, str) and filename else "data")
    summary, targets, tasks, suggested = describe(f)       # a DataError for a file that cannot be used
    key = hashlib.sha1(content).hexdigest()[:20]
    folder = staged_root(store)
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder)
    _write(folder / f"{key}.data", content)
    _write(folder / f"{key}.json", json.dumps({"filename": f.name}).encode())
    return StagedData(key, f.name, f.kind, summary, tuple(targets), tasks, suggested)


def staged(store: ModelStore, key: str, target: str | None = None) -> DataFile:
    if not isinstance(key, str) or not KEY.match(key):    # also keeps a crafted key from naming a path
        raise DataError("The data file is not known here: drop it again.")
    folder = staged_root(store)
    try:
        content = (folder / f"{key}.data").read_bytes()
        filename = json.loads((folder / f"{key}.json").read_text())["filename"]
    except (OSError, ValueError, KeyError, TypeError):
        raise DataError("The data file is no longer kept (staged files are removed after a day): drop it "
                        "again.") from None
    return DataFile(content, str(filename), target or None)


def _prune(folder: Path) -> None:
    try:
        found = sorted(((p.stat().st_mtime, p) for p in folder.glob("*.data")), reverse=True)
    except OSError:
        return
    now = time.time()
    for i, (mtime, path) in enumerate(found):
        if i >= MOST - 1 or now - mtime > KEEP_S:
            for p in (path, path.with_suffix(".json")):
                p.unlink(missing_ok=True)
