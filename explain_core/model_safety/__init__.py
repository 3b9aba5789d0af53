"""What an uploaded TorchScript file passes before Glimpse runs it.

1. archive.py: zip limits from the central directory, then a clean copy of the entries
   with the source scanned for what runs while the file loads (__setstate__, custom classes).
2. load_checked: the clean copy is loaded into its own compilation unit, so every function
   it defines can be listed; operations.py allows only plain tensor operations in them.
3. child_check.py: the first forward runs in a fresh process with memory and time limits.
"""
from __future__ import annotations

import torch

from ..errors import ModelFileError
from .archive import clean_archive
from .child_check import first_forward
from .limits import ModelLimits
from .operations import check_operations

__all__ = ["ModelLimits", "load_checked", "first_forward", "clean_archive", "check_operations"]


def load_checked(content: bytes, limits: ModelLimits | None = None) -> tuple[torch.nn.Module, bytes]:
    """The module (in eval mode) and the clean archive it was loaded from, or a ModelFileError."""
    limits = limits or ModelLimits.from_env()
    clean = clean_archive(content, limits)
    unit = torch._C.CompilationUnit()   # what torch.jit.load does, keeping the unit to list its functions
    try:
        cpp = torch._C.import_ir_module_from_buffer(unit, clean, torch.device("cpu"), {}, False)
    except Exception as e:  # torch raises RuntimeError and friends for any bad archive
        raise ModelFileError(f"Not a TorchScript model file: {_first_line(e)}") from None
    check_operations(unit.get_functions())
    module = torch.jit._recursive.wrap_cpp_module(cpp)
    module.eval()
    return module, clean


def _first_line(e: Exception) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0][:300]
