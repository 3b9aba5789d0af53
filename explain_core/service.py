"""The one façade the dashboard holds: models and samples by id, explain(), the cache.

Its methods live in explain_core/serving/ by job (catalogue: models; sample_access:
samples; explaining: explain, quality, robustness, model views, precompute; uploading:
uploads); this module joins them and holds the state, the one model lookup (_model) and
the status calls."""
from __future__ import annotations

import threading
from typing import Callable

from .cache import cache_status, make_cache
from .config import Settings
from .data.dataset import Dataset
from .errors import UnknownIdError
from .fair_compute import FairCompute, current_client
from .methods.base import shown
from .models.background_outputs import BackgroundOutputs
from .models.live_hash import LiveHashes
from .models.store import ModelStore
from .models.zoo import DEFAULT_SPECS, ModelSpec, TrainedModel, load_or_train
from .serving.catalogue import ModelCatalogue
from .serving.explaining import Explaining
from .serving.records import ModelInfo, Progress, Sample, SampleTable
from .serving.sample_access import SampleAccess
from .serving.uploading import Uploading

__all__ = ["ExplanationService", "ModelInfo", "Progress", "Sample", "SampleTable"]


class ExplanationService(ModelCatalogue, SampleAccess, Explaining, Uploading):
    """Build once (in app.py or a test) and share; safe to call from several threads."""

    def __init__(self, settings: Settings | None = None, cache=None,
                 specs: tuple[ModelSpec, ...] = DEFAULT_SPECS):
        self.settings = settings or Settings.from_env()
        self.cache = cache if cache is not None else make_cache(self.settings)
        self.store = ModelStore(self.settings.model_store)
        self.specs = {s.model_id: s for s in specs}
        self._data: dict[str, Dataset] = {}
        self._models: dict[str, TrainedModel] = {}
        self._tables: dict[str, tuple[str, SampleTable]] = {}   # model id -> (weights hash, table)
        self._pending: dict[str, BackgroundOutputs] = {}        # model id -> its outputs, still being computed
        self._fingerprints: dict[int, str] = {}
        self._trees: dict[tuple[str, int], object] = {}
        self._shares: dict[str, float] = {}      # weights hash -> informative_share (model_facts)
        self._live = LiveHashes()                # hashes that follow in-place weight changes
        self._lock = threading.RLock()           # guards the dicts above
        self._load_lock = threading.RLock()      # loading or training a model
        self.compute = FairCompute()             # who computes now: explain_core/fair_compute.py
        self.stats = {"hits": 0, "misses": 0}
        self.notices: list[str] = []             # start-up problems the page shows (a bad model-list entry)
        self._loaders: dict[str, Callable[[], TrainedModel]] = {}   # models built when first asked for

    def _model(self, model_id: str, progress=None) -> TrainedModel:
        if not isinstance(model_id, str):
            raise UnknownIdError(f"Unknown model {shown(model_id)}: model ids are names")
        with self._lock:
            tm = self._models.get(model_id)
            if tm is not None:
                return tm
            spec = self.specs.get(model_id)
        # One load at a time: two callbacks asking for a new upload at once must not both
        # load (or train) it, and numpy's .npz header parsing (ast.literal_eval) is not
        # thread-safe on CPython 3.11.7 ("AST constructor recursion depth mismatch").
        with self._load_lock:
            with self._lock:
                tm = self._models.get(model_id)
            if tm is not None:
                return tm
            if spec is None:
                tm = self._load_upload(model_id)
            else:
                data = self.dataset(spec.dataset)
                tm = load_or_train(spec, data, self.store, self.settings.seed, progress)
            with self._lock:
                tm = self._models.setdefault(model_id, tm)
            self._live.seed(tm.module, tm.hash)
            return tm

    def _load_upload(self, model_id: str) -> TrainedModel:
        from .uploads import load_upload

        if model_id in self._loaders:
            return self._loaders[model_id]()
        tm = load_upload(self, model_id)
        if tm is None:
            raise UnknownIdError(f"Unknown model {model_id!r}")
        return tm

    def cache_status(self) -> dict:
        """{'shared', 'degraded', 'message'}: whether results are shared between processes
        now; degraded while the Redis cache is down and results stay in this process."""
        return cache_status(self.cache, self.settings.cache_type)

    def compute_status(self, client: str | None = None) -> dict:
        """Long computations running and waiting in this process, and `client`'s place."""
        return self.compute.gate.status(client if client is not None else current_client())
