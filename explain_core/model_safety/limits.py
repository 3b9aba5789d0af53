"""How big an uploaded model archive may be and how much its first forward may use.

Read from the environment when a check runs, so a deployment sets them without code:
GLIMPSE_MAX_MODEL_INFLATED_MB, GLIMPSE_MAX_MODEL_ENTRIES, GLIMPSE_MODEL_CHECK_MB,
GLIMPSE_MODEL_CHECK_S.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class ModelLimits:
    inflated_mb: float = 512      # all entries of the archive together, once inflated
    entries: int = 10_000         # entries in the archive
    max_ratio: float = 200        # inflated/compressed size of any entry bigger than 1 MiB
    check_mb: float = 2048        # memory the first forward may add, in its own process
    check_s: float = 30           # wall time of the first forward (two samples, then one)

    ENV = {"inflated_mb": "GLIMPSE_MAX_MODEL_INFLATED_MB", "entries": "GLIMPSE_MAX_MODEL_ENTRIES",
           "check_mb": "GLIMPSE_MODEL_CHECK_MB", "check_s": "GLIMPSE_MODEL_CHECK_S"}

    @classmethod
    def from_env(cls, env: dict | None = None) -> "ModelLimits":
        env = os.environ if env is None else env
        kw = {}
        types = {f.name: f.type for f in fields(cls)}
        for name, var in cls.ENV.items():
            if env.get(var):
                value = float(env[var])
                if not value > 0 or value == float("inf"):
                    raise ValueError(f"{var} must be a positive number, not {env[var]!r}")
                kw[name] = int(value) if types[name] in (int, "int") else value
        return cls(**kw)

    def setting(self, name: str) -> str:
        """'512 MB (GLIMPSE_MAX_MODEL_INFLATED_MB)': a limit as a message names it."""
        unit = {"inflated_mb": " MB", "check_mb": " MB", "check_s": " s"}.get(name, "")
        return f"{getattr(self, name):g}{unit} ({self.ENV.get(name, 'fixed')})"
