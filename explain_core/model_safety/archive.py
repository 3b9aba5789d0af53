"""The zip side of a TorchScript upload, checked before anything is inflated or loaded.

`clean_archive` reads only the zip's central directory to enforce the limits (entry count,
declared inflated size, compression ratio, plain relative names), then inflates each
entry with a cap at its declared size, scans the TorchScript source for what would run
while the archive loads, and writes the entries into a fresh stored zip. torch then reads
that copy: what it loads is exactly what was checked, whatever tricks the original zip
plays on one zip reader and not another (duplicate names, disagreeing headers).
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from ..errors import ModelFileError
from .limits import ModelLimits
from .operations import DENIED_ATEN

MIB = 1 << 20
CHUNK = 1 << 20
RATIO_FROM = MIB                  # entries smaller than this may compress as well as they like
NOT_LOADED = "Glimpse does not load this model file: "

# TorchScript source that runs while the archive loads, or names a denied operation. The
# graph check after loading is the authority on operations; this catches what would already
# have run by then (a __setstate__ runs inside torch.jit.load) and names ops before loading.
CUSTOM_CLASS = (re.compile(r"torch\s*\.\s*classes"), "uses a custom C++ class (torch.classes)")
DENIED_CALL = re.compile(r"\b(?:torch|ops\s*\.\s*aten)\s*\.\s*(%s)\s*\(" % "|".join(
    re.escape(kind.split("::")[1]) for kind in DENIED_ATEN))
FORBIDDEN_SOURCE = (
    (re.compile(r"__setstate__"), lambda m: "defines __setstate__, which runs while the file loads"),
    (CUSTOM_CLASS[0], lambda m: CUSTOM_CLASS[1]),
    (DENIED_CALL, lambda m: f"uses operation aten::{m[1]}, which Glimpse does not run "
                            f"({DENIED_ATEN['aten::' + m[1]]})"),
)
FORBIDDEN_PICKLE = FORBIDDEN_SOURCE[1:2]   # a pickled custom class runs its C++ __setstate__ on load


def open_archive(content: bytes, limits: ModelLimits) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The zip and its entries, checked against the limits from the central directory alone
    (nothing inflated yet); a ModelFileError when it is not a readable zip or breaks one."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as e:
        raise ModelFileError(f"{NOT_LOADED}it is not a readable zip archive ({e}).") from None
    check_directory(infos, limits)
    return zf, infos


def clean_archive(content: bytes, limits: ModelLimits) -> bytes:
    """A stored zip with the same entries as `content`, or a ModelFileError naming the limit."""
    zf, infos = open_archive(content, limits)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as clean:
        for info in infos:
            data = _inflate(zf, info)
            if info.filename.endswith(".py"):
                scan(info.filename, data, FORBIDDEN_SOURCE)
            elif info.filename.endswith(".pkl"):
                scan(info.filename, data, FORBIDDEN_PICKLE)
            clean.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


def check_directory(infos: list[zipfile.ZipInfo], limits: ModelLimits) -> None:
    """Everything that can be decided from the central directory alone."""
    if len(infos) > limits.entries:
        raise ModelFileError(f"{NOT_LOADED}it has {len(infos):,} entries; the limit is "
                             f"{limits.setting('entries')}.")
    names: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if name in names:
            raise ModelFileError(f"{NOT_LOADED}the entry {name!r} appears twice in the archive.")
        names.add(name)
        if not _plain_name(name):
            raise ModelFileError(f"{NOT_LOADED}the entry name {name!r} is absolute or leaves its folder.")
        if info.flag_bits & 0x1:
            raise ModelFileError(f"{NOT_LOADED}the entry {name!r} is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFileError(f"{NOT_LOADED}the entry {name!r} uses an unusual compression method "
                                 f"({info.compress_type}); TorchScript files are stored or deflated.")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FROM and ratio > limits.max_ratio:
            raise ModelFileError(f"{NOT_LOADED}the entry {name!r} would inflate {ratio:,.0f} times (from "
                                 f"{info.compress_size:,} to {info.file_size:,} bytes); the limit is "
                                 f"{limits.max_ratio:g} times.")
        total += info.file_size
    if total > limits.inflated_mb * MIB:
        raise ModelFileError(f"{NOT_LOADED}it would inflate to {total / MIB:,.1f} MB; the limit is "
                             f"{limits.setting('inflated_mb')}.")


def scan(name: str, data: bytes, forbidden) -> None:
    text = unicodedata.normalize("NFKC", data.decode("utf-8", errors="replace"))
    for pattern, why in forbidden:
        found = pattern.search(text)
        if found:
            raise ModelFileError(f"{NOT_LOADED}its code ({name}) {why(found)}.")


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The entry's bytes, never more than it declared (a lying header cannot inflate more)."""
    parts, size = [], 0
    try:
        with zf.open(info) as f:
            while chunk := f.read(CHUNK):
                size += len(chunk)
                if size > info.file_size:
                    raise ModelFileError(f"{NOT_LOADED}the entry {info.filename!r} inflates to more "
                                         "than its declared size.")
                parts.append(chunk)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, RuntimeError) as e:
        raise ModelFileError(f"{NOT_LOADED}the entry {info.filename!r} cannot be read ({e}).") from None
    return b"".join(parts)


def _plain_name(name: str) -> bool:
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return False
    parts = name.split("/")
    return ":" not in parts[0] and all(p not in ("..", ".") for p in parts)
