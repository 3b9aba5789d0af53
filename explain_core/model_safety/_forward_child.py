"""Run by child_check.py as `python -I _forward_child.py CHECK_MB CHECK_S`, in a fresh process.

stdin: an npz with `archive` (the checked TorchScript zip, or the clean torch.export archive
when `kind` is "pt2", as uint8), `x` (two samples) and, for pt2, `batch` (fewest and most
rows the program takes; 0: no most).
stdout: "ready" once torch is imported and the limits are set, then one JSON line:
{"error", "memory", "type", "shape", "finite", "single_error"}. Only plain values go back;
the parent never unpickles anything from here. Imports nothing from explain_core (only
_batch_fit.py beside it, by path, which imports only torch).
"""
import io
import json
import os
import resource
import signal
import sys

import numpy as np

MEMORY_WORDS = ("can't allocate memory", "not enough memory", "bad_alloc", "out of memory", "MemoryError")


def main() -> None:
    payload = np.load(io.BytesIO(sys.stdin.buffer.read()), allow_pickle=False)
    archive, x = payload["archive"].tobytes(), payload["x"]
    kind = str(payload["kind"]) if "kind" in payload.files else "torchscript"
    batch = [int(v) for v in payload["batch"]] if "batch" in payload.files else [1, 0]
    reply = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)                      # anything the model prints goes to stderr, not the reply
    import torch
    if kind == "pt2":                  # what torch.export.load imports, before the clock starts
        import torch._inductor.cpp_builder  # noqa: F401
        import torch.export  # noqa: F401
    torch.set_num_threads(1)
    _limit_memory(float(sys.argv[1]))
    _limit_cpu(float(sys.argv[2]))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))   # no file writes
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    reply.write("ready\n")
    reply.flush()
    reply.write(json.dumps(_run(torch, archive, x, kind, batch)) + "\n")
    reply.flush()


def _run(torch, archive: bytes, x, kind: str = "torchscript", batch=(1, 0)) -> dict:
    report = {"error": None, "memory": False, "type": None, "shape": None, "finite": None,
              "single_error": None}
    try:
        module = _load(torch, archive, kind, batch)
        with torch.no_grad():
            out = module(torch.as_tensor(x))
        report["type"] = type(out).__name__
        if isinstance(out, torch.Tensor):
            report["shape"] = list(out.shape)
            report["finite"] = bool(torch.isfinite(out).all())
        with torch.inference_mode():       # as predict_logits calls it: one sample
            module(torch.as_tensor(x[:1])).float().numpy()
    except BaseException as e:  # noqa: BLE001 - every failure is reported to the parent
        key = "error" if report["type"] is None else "single_error"
        report[key] = (str(e).strip() or type(e).__name__).splitlines()[0][:300]
        report["memory"] = isinstance(e, MemoryError) or any(w in str(e) for w in MEMORY_WORDS)
    return report


def _load(torch, archive: bytes, kind: str, batch):
    if kind != "pt2":
        return torch.jit.load(io.BytesIO(archive), map_location="cpu").eval()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _batch_fit import fit_batches
    program = torch.export.load(io.BytesIO(archive))
    return fit_batches(torch.export.unflatten(program), batch[0], batch[1] or None).eval()


def _limit_cpu(check_s: float) -> None:
    """The parent kills a child that passes the wall-time limit; this also ends one whose
    parent was killed first (one thread: CPU time never runs ahead of wall time)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    limit = int(used.ru_utime + used.ru_stime + check_s) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit))


def _limit_memory(extra_mb: float) -> None:
    """Address space: what the process has now (python + torch) plus `extra_mb`. Linux only:
    elsewhere (a developer's Mac) only the time limit applies."""
    try:
        with open("/proc/self/status") as f:
            vm_kb = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    except (OSError, StopIteration):
        return
    limit = int(vm_kb * 1024 + extra_mb * (1 << 20))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


if __name__ == "__main__":
    main()
