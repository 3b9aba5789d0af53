"""The one façade the dashboard holds: models and samples by id, explain(), the cache."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from .cache import cache_status, make_cache, result_key
from .config import Settings
from .data import breast_cancer, diabetes, known_truth, load_image_dataset, seed_binary, wine
from .data.dataset import Dataset
from .data.digits8 import digits_8x8
from .data.shortcut import shortcut_digits
from .errors import GlimpseError, ParameterError, UnknownIdError
from .fair_compute import FairCompute, current_client
from .methods.base import as_whole, check_target, conv_layers, layer_type, named_layers, resolve_target, shown
from .methods.registry import METHODS, RUNNERS, method_spec, normalise_params
from .models.background_outputs import BackgroundOutputs
from .models.live_hash import LiveHashes
from .models.store import ModelStore
from .models.training import TrainProgress, predict_logits
from .models.zoo import DEFAULT_SPECS, ModelSpec, TrainedModel, load_or_train, spec_kind

Progress = Callable[[dict], None]


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    title: str
    kind: str                       # 'image' or 'tabular'
    source: str                     # 'builtin', 'csv', 'torchscript'
    dataset: str
    dataset_description: str
    architecture: str
    accuracy: float                 # on the held-out split
    hash: str
    input_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...]  # tabular features ('' for images: see pixel names)
    layers: tuple[tuple[str, str], ...]   # (name, type) in forward order
    conv_layers: tuple[str, ...]
    n_samples: int
    n_test: int
    notes: tuple[str, ...] = ()
    train_accuracy: float | None = None   # on the training split, where known
    task: str = "classification"          # or 'regression' (class_names then holds the target's name)
    output: str = "logits"                # explain_core.models.heads.OUTPUTS: logits, logit, probability, value
    output_note: str = ""                 # what the output is and what each target explains
    r2: float | None = None               # regression, held-out: sklearn's r2_score
    mae: float | None = None              # regression, held-out: mean absolute error
    target_range: tuple[float, float] | None = None   # regression: smallest and largest true value
    informative_share: float | None = None   # known informative features: rows whose top-5 IG hold >= 4
    outputs_done: tuple[int, int] | None = None   # (done, total) while the model still runs over its samples
    outputs_error: str | None = None               # why it could not run over all of them


@dataclass(frozen=True)
class SampleTable:
    """Every sample of a model's data with its label and the model's prediction. For
    regression labels and predictions are values, and probabilities the predictions (n, 1)."""

    model_id: str
    labels: np.ndarray        # (n,)
    predictions: np.ndarray   # (n,)
    probabilities: np.ndarray  # (n, classes)
    is_test: np.ndarray       # (n,) bool: held out from training
    task: str = "classification"

    @property
    def errors(self) -> np.ndarray:
        """Regression: prediction − true value per sample."""
        return self.predictions.astype(np.float64) - self.labels.astype(np.float64)

    @property
    def targets(self) -> np.ndarray:
        """The default target per sample: the predicted class (0, the value, for regression)."""
        return np.zeros(len(self.labels), np.int64) if self.task == "regression" else self.predictions


@dataclass(frozen=True)
class Sample:
    model_id: str
    sample_id: int
    inputs: np.ndarray        # input_shape
    label: int | float        # float for regression
    prediction: int | float
    probabilities: np.ndarray
    is_test: bool


class ExplanationService:
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

    # ------------------------------------------------------------------ data and models
    def dataset(self, name: str) -> Dataset:
        with self._lock:
            if name not in self._data:
                s = self.settings
                loaders = {
                    "image": lambda: load_image_dataset(s.data_dir, s.cache_dir, s.seed),
                    "breast-cancer": lambda: breast_cancer(s.seed),
                    "wine": lambda: wine(s.seed),
                    "known-truth": lambda: known_truth(s.seed),
                    "seed-binary": lambda: seed_binary(s.seed),
                    "diabetes": lambda: diabetes(s.seed),
                    "shortcut-digits": lambda: shortcut_digits(s.cache_dir, s.seed),
                    "digits-8x8": lambda: digits_8x8(s.seed),
                }
                if name not in loaders:
                    raise UnknownIdError(f"Unknown data set {name!r}")
                self._data[name] = loaders[name]()
            return self._data[name]

    def ensure_models(self, progress: Progress | None = None, model_ids=None) -> None:
        """Load every default model, training (and storing) the ones not stored yet."""
        ids = list(model_ids or self.specs)
        for i, mid in enumerate(ids):
            if progress:
                progress({"model_id": mid, "index": i, "total": len(ids), "stage": "loading"})
            self._model(mid, progress=self._train_progress(progress, mid, i, len(ids)))
        if progress:
            progress({"model_id": None, "index": len(ids), "total": len(ids), "stage": "ready"})

    def models_stored(self, model_ids=None) -> bool:
        """True when every default model (or each of `model_ids`) is already in the store
        (start-up will be fast). Loads their data sets, nothing else."""
        for spec in (self.specs[m] for m in (model_ids or self.specs)):
            try:
                data = self.dataset(spec.dataset)
            except GlimpseError:
                return False
            if not self.store.has(spec.key(data, self.settings.seed)):
                return False
        return True

    @staticmethod
    def _train_progress(progress, mid, index, total):
        if progress is None:
            return None

        def report(p: TrainProgress):
            progress({"model_id": mid, "index": index, "total": total, "stage": "training",
                      "epoch": p.epoch, "epochs": p.epochs, "loss": p.loss, "accuracy": p.train_accuracy})
        return report

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

    def add_loader(self, model_id: str, loader: Callable[[], TrainedModel]) -> None:
        """A model built by `loader` when first asked for (a model list in a Celery worker)."""
        with self._lock:
            self._loaders[model_id] = loader

    def register(self, tm: TrainedModel, logits: np.ndarray | None = None,
                 pending: BackgroundOutputs | None = None) -> None:
        """Add a model built elsewhere (an upload, a caller's model) under its id; `logits`
        for every sample, when already computed, spare the sample table's forward pass;
        `pending`: those outputs, still being computed in the background."""
        self._live.seed(tm.module, tm.hash)
        with self._lock:
            self._models[tm.model_id] = tm
            self._tables.pop(tm.model_id, None)
            old = self._pending.pop(tm.model_id, None)
            if logits is not None:
                self._tables[tm.model_id] = (tm.hash, self._table(tm, logits))
            if pending is not None:
                self._pending[tm.model_id] = pending
        if old is not None:
            old.stop(0)

    def add_model(self, module: nn.Module, data: Dataset, title: str | None = None, model_id: str | None = None,
                  source: str = "python", labelled: bool = True, logits: np.ndarray | None = None,
                  head=None, first_outputs: np.ndarray | None = None) -> str:
        """Register a caller's nn.Module on `data` (explain_core.data.arrays.from_arrays); it is
        run on every sample first (unless its `logits` for them are given), and a model that
        fails is a ModelError. labelled=False: data.y are not true labels. head: what its
        outputs mean (models.heads.Head; default: told from them and the data).
        first_outputs: its outputs for the first rows only (a large data set): the others
        are computed in the background (outputs_status), the page need not wait for them.
        Returns its id."""
        from .models.inprocess import trained_model

        model_id = model_id or type(module).__name__.lower()
        first = first_outputs if logits is None and labelled else None   # unlabelled: run on all now
        tm, logits = trained_model(module, data, model_id, title or type(module).__name__, source,
                                   logits=logits if first is None else first,
                                   labelled=labelled and first is None, head=head)
        if first is None:
            self.register(tm, logits)
        else:     # the accuracy is known once every output is (samples())
            self.register(tm, pending=BackgroundOutputs(module, data.X, first).start())
        return model_id

    def weights_hash(self, model_id: str) -> str:
        """The model's content hash as its weights are now (they may change in place)."""
        return self._hash(self._model(model_id))

    def _hash(self, tm: TrainedModel) -> str:
        return self._live.hash(tm.module)

    def model_ids(self) -> list[str]:
        from .uploads import stored_upload_ids

        with self._lock:
            loaded = list(self._models)
        ids = list(self.specs) + [m for m in loaded if m not in self.specs]
        return ids + [m for m in stored_upload_ids(self.store) if m not in ids]

    def model_choices(self) -> list[tuple[str, str, str, str]]:
        """(model id, title, kind, source) of every model, without loading any: default
        models not loaded yet are described by their specs (a picker can list them while
        they still load; choosing one loads it)."""
        with self._lock:
            loaded = dict(self._models)
        out = []
        for mid in self.model_ids():
            tm = loaded.get(mid)
            if tm is not None:
                out.append((mid, tm.spec.title, tm.data.kind, tm.source))
            elif mid in self.specs:
                spec = self.specs[mid]
                out.append((mid, spec.title, spec_kind(spec), "builtin"))
            else:
                try:
                    info = self.model_info(mid)
                except GlimpseError:
                    continue  # a broken upload must not hide the others
                out.append((mid, info.title, info.kind, info.source))
        return out

    def list_models(self) -> list[ModelInfo]:
        out = []
        for mid in self.model_ids():
            try:
                out.append(self.model_info(mid))
            except GlimpseError:
                continue  # a broken upload must not hide the others
        return out

    def model_info(self, model_id: str) -> ModelInfo:
        tm = self._model(model_id)
        d = tm.data
        running = self._outputs_facts(model_id)      # first: it sets the accuracy once all outputs are in
        return ModelInfo(
            model_id=model_id, title=tm.spec.title, kind=d.kind, source=tm.source, dataset=d.name,
            dataset_description=d.description,
            architecture=str(getattr(tm.module, "architecture", tm.spec.arch)),
            accuracy=tm.accuracy, hash=self._hash(tm), input_shape=d.input_shape, class_names=d.class_names,
            feature_names=d.feature_names if d.kind == "tabular" else (),
            layers=tuple((n, layer_type(m)) for n, m in named_layers(tm.module)),
            conv_layers=tuple(conv_layers(tm.module)), n_samples=len(d.X), n_test=len(d.test_idx),
            notes=d.notes + tuple(getattr(tm.module, "glimpse_notes", ())), train_accuracy=tm.train_accuracy,
            task=tm.head.task, output=tm.head.output, output_note=tm.head.describe(d.class_names), **self._facts(tm),
            **running,
        )

    def _outputs_facts(self, model_id: str) -> dict:
        """ModelInfo's outputs_done and outputs_error while the model's outputs come in the
        background; once they are all in, the sample table is built (and the accuracy known)."""
        status = self.outputs_status(model_id)
        if status is None:
            with self._lock:
                finished = model_id in self._pending
            if finished:
                self.samples(model_id)
            return {}
        return {"outputs_done": (status["done"], status["total"]), "outputs_error": status["error"]}

    def _facts(self, tm: TrainedModel) -> dict:
        """Regression's R², MAE and target range; the informative-feature share where the
        data knows its informative features (computed once per weights, then kept)."""
        from .model_facts import informative_share, regression_metrics

        d, out = tm.data, {}
        if tm.head.task == "regression":
            out["target_range"] = (float(d.y.min()), float(d.y.max()))
        if tm.head.task == "regression" and self.outputs_status(tm.model_id) is None:   # else: not known yet
            t = self.samples(tm.model_id)
            out["r2"], out["mae"] = regression_metrics(t.labels[d.test_idx], t.predictions[d.test_idx])
        if d.informative:
            digest = self._hash(tm)
            with self._lock:
                share = self._shares.get(digest)
            if share is None:
                with self._compute_lock(tm.model_id):
                    share = informative_share(tm.explained, d.X_test, d.informative)
                with self._lock:
                    self._shares[digest] = share
            out["informative_share"] = share
        return out

    # ------------------------------------------------------------------------ samples
    def samples(self, model_id: str) -> SampleTable:
        """Every sample with its label and the model's prediction. A model whose outputs are
        still being computed in the background (outputs_status) is waited for."""
        tm = self._model(model_id)
        digest = self._hash(tm)                          # predictions follow in-place weight changes
        with self._lock:
            held = self._tables.get(model_id)
            if held is not None and held[0] == digest:
                return held[1]
            pending = self._pending.get(model_id)
        if pending is not None and digest == tm.hash:    # its weights are still those it started with
            table = self._table(tm, pending.result())
            if tm.head.task == "classification":         # the accuracy waited for every output
                tm.accuracy = float((table.predictions[tm.data.test_idx] == tm.data.y_test).mean())
        else:
            table = self._table(tm, predict_logits(tm.module, tm.data.X))   # no hooks: needs no lock
        with self._lock:
            self._tables[model_id] = (digest, table)
            if self._pending.get(model_id) is pending:
                self._pending.pop(model_id, None)
        return table

    def outputs_status(self, model_id: str) -> dict | None:
        """While a model's outputs for its samples are computed in the background (glimpse.show
        on a large data set): {"done", "total", "error"}; None when they are all in."""
        with self._lock:
            pending = self._pending.get(model_id)
        if pending is None:
            return None
        status = pending.status()
        return None if status["done"] == status["total"] and pending.finished else status

    def sample_labels(self, model_id: str) -> SampleTable:
        """The sample table, but without waiting for a model's outputs still being computed:
        its predictions and probabilities are then None (labels and splits are known)."""
        tm = self._model(model_id)
        if self.outputs_status(model_id) is None:
            return self.samples(model_id)
        return SampleTable(model_id, tm.data.y, None, None, self._is_test(tm), tm.head.task)

    def sample_rows(self, model_id: str, ids) -> SampleTable:
        """The sample table's rows `ids` only (in that order): a page of the browser. While the
        model's outputs are still being computed, only these rows go through the model."""
        tm = self._model(model_id)
        ids = np.asarray([self._index(tm, i) for i in np.asarray(ids).reshape(-1)], dtype=np.int64)
        with self._lock:
            pending = self._pending.get(model_id)
        failed = pending is not None and pending.status()["error"] is not None   # the other rows still work
        if pending is None or (pending.finished and not failed) or self._hash(tm) != tm.hash:
            t = self.samples(model_id)
            return SampleTable(model_id, t.labels[ids], t.predictions[ids], t.probabilities[ids], t.is_test[ids],
                               t.task)
        return self._table(tm, pending.rows(ids), ids)

    @staticmethod
    def _is_test(tm: TrainedModel) -> np.ndarray:
        is_test = np.zeros(len(tm.data.X), bool)
        is_test[tm.data.test_idx] = True
        return is_test

    def _table(self, tm: TrainedModel, logits: np.ndarray, ids: np.ndarray | None = None) -> SampleTable:
        """logits: the model's raw outputs (for the rows ids, default all), turned into
        answers by its head."""
        from .model_facts import answers

        predictions, probs = answers(tm.head, logits)
        labels, is_test = tm.data.y, self._is_test(tm)
        labels, is_test = (labels.copy(), is_test) if ids is None else (labels[ids], is_test[ids])
        table = SampleTable(tm.model_id, labels, predictions, probs, is_test, tm.head.task)
        for a in (table.labels, table.predictions, table.probabilities, table.is_test):
            a.setflags(write=False)
        return table

    def _index(self, tm: TrainedModel, sample_id) -> int:
        i = as_whole(sample_id)
        if i is None or not 0 <= i < len(tm.data.X):
            raise UnknownIdError(f"Unknown sample {shown(sample_id)}: sample ids are row numbers; "
                                 f"{tm.model_id} has samples 0..{len(tm.data.X) - 1}")
        return i

    def sample(self, model_id: str, sample_id) -> Sample:
        tm = self._model(model_id)
        i = self._index(tm, sample_id)
        t = self.sample_rows(model_id, [i])
        cast = float if t.task == "regression" else int
        return Sample(model_id, i, tm.data.X[i].copy(), cast(t.labels[0]), cast(t.predictions[0]),
                      t.probabilities[0].copy(), bool(t.is_test[0]))

    def torch_model(self, model_id: str) -> nn.Module:
        return self._model(model_id).module

    def explained_model(self, model_id: str) -> nn.Module:
        """What the methods run: one score per class (a single logit as [−z, z], see
        models/heads.py); the module itself for multi-class logits."""
        return self._model(model_id).explained

    def input_tensor(self, model_id: str, sample_id) -> torch.Tensor:
        tm = self._model(model_id)
        return torch.as_tensor(tm.data.X[self._index(tm, sample_id)]).unsqueeze(0).clone()

    def dataset_for(self, model_id: str) -> Dataset:
        return self._model(model_id).data

    def _sample_key(self, tm: TrainedModel, i: int) -> str:
        fp = self._fingerprints.get(id(tm.data))
        if fp is None:
            fp = self._fingerprints.setdefault(id(tm.data), tm.data.fingerprint())
        return f"{fp}:{i}"

    def _compute_lock(self, model_id: str) -> threading.Lock:
        """Held by methods that put hooks on the shared module (one at a time per model)."""
        return self.compute.hook_lock(model_id)

    def cache_status(self) -> dict:
        """{'shared', 'degraded', 'message'}: whether results are shared between processes
        now; degraded while the Redis cache is down and results stay in this process."""
        return cache_status(self.cache, self.settings.cache_type)

    def compute_status(self, client: str | None = None) -> dict:
        """Long computations running and waiting in this process, and `client`'s place."""
        return self.compute.gate.status(client if client is not None else current_client())

    # ------------------------------------------------------------------------ explain
    def explain(self, model_id: str, sample_id, method: str, target: int | None = None,
                client: str | None = None, **params):
        """client: who asks (a browser's key), for the per-client limit on expensive methods;
        None: the one set for the current request (fair_compute.set_client), if any."""
        tm, i, params, keys = self._request(model_id, sample_id, method, target, params)
        for key in keys:
            hit = self.cache.get(key)
            if hit is not None:
                self.stats["hits"] += 1
                return hit
        self.stats["misses"] += 1
        spec = method_spec(method)
        if spec.needs_target:
            target = self._target(tm, i, target)
        with self.compute.same_key(keys[0]):
            hit = self.cache.get(keys[0])  # another thread may have computed it meanwhile
            if hit is not None:
                self.stats["hits"] += 1
                self.stats["misses"] -= 1
                return hit
            with self.compute.slot(model_id, method, params, tm.data.input_shape, client):
                if method == "tree":
                    result = self._tree(tm, params["max_depth"]).explain(tm.data.X[i])
                else:
                    result = RUNNERS[method](tm.explained, tm.data, tm.data.X[i], target, params)
            self.cache.set(keys[0], result)
            if spec.needs_target and keys[0].endswith(":auto"):
                # the predicted class asked for by number must hit this result too
                self.cache.set(self._key(tm, i, method, params, target), result)
        return result

    def explain_input(self, model_id: str, inputs, method: str, target: int | None = None, **params):
        """explain() for an arbitrary input (a drawn digit, an edited row): explain_core/inputs.py."""
        from .inputs import explain_input
        return explain_input(self, model_id, inputs, method, target, **params)

    def predict_input(self, model_id: str, inputs):
        from .inputs import predict_input
        return predict_input(self, model_id, inputs)

    def cached(self, model_id: str, sample_id, method: str, target: int | None = None, **params) -> bool:
        """Whether explain() with these arguments would be served from the cache."""
        _, _, _, keys = self._request(model_id, sample_id, method, target, params)
        return any(self.cache.has(k) for k in keys)

    def _request(self, model_id, sample_id, method, target, params):
        """Validate a request and name its cache keys without touching the model.

        The default target (the predicted class) is keyed as 'auto': the model hash fixes
        the prediction, so a cached result needs no forward pass to be found, even in a
        fresh worker process.
        """
        tm = self._model(model_id)
        spec = method_spec(method)
        params = normalise_params(method, params, tm.data.kind, tm.module, tm.data.input_shape)
        i = self._index(tm, sample_id)
        if not spec.needs_target:
            target = None
        elif target is not None:
            target = check_target(target, len(tm.data.class_names))
        key = self._key(tm, i, method, params, "auto" if spec.needs_target and target is None else target)
        return tm, i, params, [key]

    def put(self, model_id: str, sample_id, method: str, result, target: int | None = None, **params) -> None:
        """Store a result computed elsewhere (a batched precompute) under explain()'s keys."""
        tm, i, params, keys = self._request(model_id, sample_id, method, target, params)
        self.cache.set(keys[0], result)
        if method_spec(method).needs_target and keys[0].endswith(":auto"):
            self.cache.set(self._key(tm, i, method, params, result.target), result)

    def _key(self, tm: TrainedModel, i: int, method: str, params: dict, target) -> str:
        sample_key = self._sample_key(tm, i) if method_spec(method).per_sample else "-"
        return result_key(self._hash(tm), sample_key, method, params) + f":{target}"

    def _target(self, tm: TrainedModel, i: int, target) -> int:
        if target is not None:
            return int(target)  # validated in _request
        return resolve_target(tm.explained, torch.as_tensor(tm.data.X[i]).unsqueeze(0), None)

    def _tree(self, tm: TrainedModel, max_depth: int):
        from .methods.tree import DistilledTree

        key = (self._hash(tm), max_depth)
        with self._lock:
            tree = self._trees.get(key)
        if tree is None:
            d = tm.data
            tree = DistilledTree(max_depth=max_depth, seed=self.settings.seed, feature_names=d.feature_names,
                                 class_names=d.class_names, task=tm.head.task).fit(tm.explained, d.X_train,
                                                                                     d.X_test, d.y_test)
            with self._lock:
                tree = self._trees.setdefault(key, tree)
        return tree

    # ------------------------------------------------------------------------ uploads
    def preview_csv(self, content: bytes, filename: str = "upload.csv"):
        from .data.csv_upload import parse_csv

        return parse_csv(content, filename=filename)

    def add_csv_model(self, content: bytes, target: str, filename: str = "upload.csv",
                      progress: Progress | None = None, task: str | None = None) -> str:
        """task: 'classification' or 'regression' (default: what the target column allows first)."""
        from .uploads import add_csv_model

        return add_csv_model(self, content, target, filename, progress, task)

    def add_torchscript_model(self, content: bytes, input_shape=None, class_names=None, data_from: str | None = None,
                              title: str | None = None, **data) -> str:
        from .uploads import add_torchscript_model

        return add_torchscript_model(self, content, input_shape, class_names, data_from, title, **data)

    def add_model_file(self, content: bytes, input_shape=None, class_names=None, data_from: str | None = None,
                       title: str | None = None, data=None, task: str | None = None, feature_names=None) -> str:
        """A torch.export (.pt2: its input shape comes from the file) or TorchScript file,
        explained on `data` (upload_data.DataFile: a .npz or a CSV with a target column) when
        given; task: 'classification' or 'regression' (default: told from the outputs and
        the labels, as glimpse.show tells it)."""
        from .model_files import add_model_file

        return add_model_file(self, content, input_shape, class_names, data_from, title, data=data, task=task,
                              feature_names=feature_names)

    def stage_data_file(self, content: bytes, filename: str):
        """Check a data file dropped beside a model file and keep it until the model comes
        (staged_data.StagedData: its key, a summary, a CSV's target columns)."""
        from .staged_data import stage

        with self._load_lock:       # numpy's .npy header parsing is not thread-safe (see _model)
            return stage(self.store, content, filename)

    def staged_data_file(self, key: str, target: str | None = None):
        """The DataFile staged under `key` (a DataError once it is gone)."""
        from .staged_data import staged

        return staged(self.store, key, target)

    @staticmethod
    def methods() -> dict:
        return METHODS

    def model_view(self, model_id: str, name: str, **params):
        """A model-level analysis (explain_core/model_views), once per weights and params."""
        from .model_views.run import model_view

        return model_view(self, model_id, name, params)

    def model_views(self, model_id: str) -> list[tuple[str, str]]:
        """(name, title) of the model-level analyses that apply to this model."""
        from .model_views.run import model_views

        return model_views(self, model_id)

    def robustness(self, model_id: str, what: str, sample_id, **params):
        """'adversarial' (FGSM/PGD example, minimal ε) or 'counterfactuals' (table rows), cached."""
        from .robustness.requests import robustness
        return robustness(self, model_id, what, sample_id, params)

    def precomputable(self, model_id: str) -> list[tuple[str, str, bool]]:
        """(method, title, batched) for every per-sample method this model can precompute:
        batched ones run many samples per model call, the others one sample at a time."""
        from .precompute import BATCHED

        tm = self._model(model_id)
        out = []
        for name, spec in METHODS.items():
            if not spec.per_sample or tm.data.kind not in spec.kinds:
                continue
            try:
                normalise_params(name, {}, tm.data.kind, tm.module, tm.data.input_shape)
            except GlimpseError:      # e.g. Grad-CAM on a TorchScript model
                continue
            out.append((name, spec.title, name in BATCHED))
        return out

    def quality(self, kind: str, model_id: str, sample_id, method: str | None = None, target=None,
                quality: dict | None = None, **params):
        """How far to trust a map (explain_core/quality/requests.py): kind 'scores', 'sanity',
        'stability' (seeds=k) or 'table' (every method ranked); cached like explain()."""
        from .quality.requests import run

        return run(self, kind, model_id, sample_id, method, target, quality, **params)

    def precompute(self, model_id: str, methods, sample_ids=None, progress=None, should_stop=None,
                   params: dict | None = None) -> dict:
        """Compute `methods` for every sample (or `sample_ids`) of a model ahead of time, in
        batches across samples where the method allows, and cache them where explain()
        looks. See explain_core.precompute.precompute for the counts it returns."""
        from .precompute import precompute

        self._model(model_id)                 # an unknown id is an UnknownIdError here
        known = {m for m, _, _ in self.precomputable(model_id)}
        bad = [m for m in methods if m not in known]
        if bad:
            raise ParameterError(f"Cannot precompute {', '.join(bad)} for this model; "
                                 f"choose from {', '.join(sorted(known))}")
        return precompute(self, model_id, tuple(methods), sample_ids=sample_ids, progress=progress,
                          params=params, should_stop=should_stop)

