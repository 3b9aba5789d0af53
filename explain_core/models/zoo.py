"""Default models: which data, which architecture, how trained. Trained once, then stored."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from torch import nn

from ..data.dataset import Dataset
from .architectures import build
from .store import ModelStore, content_hash
from .training import ProgressFn, accuracy, train


@dataclass(frozen=True)
class ModelSpec:
    model_id: str
    title: str
    dataset: str            # 'image', 'shortcut-digits', 'digits-8x8', 'breast-cancer', 'wine', 'known-truth',
                            # or an upload id
    arch: str               # 'mnist-cnn', 'small-cnn', 'mnist-mlp', 'tabular-mlp'
    train: dict = field(default_factory=dict)   # epochs, lr, batch_size, weight_decay
    arch_kw: dict = field(default_factory=dict)

    def key(self, data: Dataset, seed: int) -> str:
        blob = json.dumps({**asdict(self), "data": data.fingerprint(), "seed": seed}, sort_keys=True)
        return f"{self.model_id}-{hashlib.sha1(blob.encode()).hexdigest()[:12]}"


DEFAULT_SPECS: tuple[ModelSpec, ...] = (
    # Cosine-annealed Adam and ±1 px shifts: both MNIST models clear their accuracy floors
    # (CNN 96%, MLP 92%) by a margin across seeds, not only for seed 0.
    ModelSpec("mnist-cnn", "MNIST CNN", "image", "mnist-cnn",
              {"epochs": 10, "lr": 2e-3, "batch_size": 64, "cosine": True, "shift": 1}),
    ModelSpec("mnist-mlp", "MNIST MLP", "image", "mnist-mlp",
              {"epochs": 20, "lr": 2e-3, "batch_size": 64, "cosine": True, "shift": 1}),
    ModelSpec("breast-cancer-mlp", "Breast cancer MLP", "breast-cancer", "tabular-mlp",
              {"epochs": 60, "lr": 1e-3, "batch_size": 32, "weight_decay": 1e-4}),
    ModelSpec("wine-mlp", "Wine MLP", "wine", "tabular-mlp",
              {"epochs": 80, "lr": 1e-3, "batch_size": 16, "weight_decay": 1e-4}),
    # Strong weight decay keeps the network off the 15 noise columns: without it gradient×input
    # ranks 4 of the 5 informative features top on 40% of rows, with it on 80%.
    ModelSpec("known-truth-mlp", "Known-truth MLP", "known-truth", "tabular-mlp",
              {"epochs": 60, "lr": 3e-3, "batch_size": 64, "weight_decay": 3e-2, "cosine": True}),
    # No shifts: the cue must stay in its corner. 8 epochs: ~100% on the training split,
    # ~50% held out (the cue is random there), IG puts ~25% of its mass on 2% of the pixels.
    ModelSpec("shortcut-cnn", "Shortcut digits CNN (RGB)", "shortcut-digits", "small-cnn",
              {"epochs": 8, "lr": 2e-3, "batch_size": 64, "cosine": True}),
    ModelSpec("digits-8x8-cnn", "8×8 digits CNN", "digits-8x8", "small-cnn",
              {"epochs": 30, "lr": 3e-3, "batch_size": 32, "cosine": True}),
)
IMAGE_DATASETS = ("image", "shortcut-digits", "digits-8x8")   # the built-in data sets of images


def spec_kind(spec: ModelSpec) -> str:
    """'image' or 'tabular' for a default model, without loading its data."""
    return "image" if spec.dataset in IMAGE_DATASETS else "tabular"


@dataclass
class TrainedModel:
    """A model ready to explain: the module, its data and what we know about it."""

    spec: ModelSpec
    module: nn.Module
    data: Dataset
    accuracy: float
    hash: str
    trained_now: bool = False
    source: str = "builtin"   # 'builtin', 'csv' or 'torchscript'
    train_accuracy: float | None = None   # on the training split, where known (stored with the model)

    @property
    def model_id(self) -> str:
        return self.spec.model_id


def fit_spec(spec: ModelSpec, data: Dataset, seed: int, progress: ProgressFn | None = None) -> nn.Module:
    module = build(spec.arch, data.input_shape, data.n_classes, **spec.arch_kw)
    if hasattr(module, "set_scaler"):
        module.set_scaler(data.X_train)
    return train(module, data.X_train, data.y_train, seed=seed, progress=progress, **spec.train)


def load_or_train(spec: ModelSpec, data: Dataset, store: ModelStore, seed: int = 0,
                  progress: ProgressFn | None = None) -> TrainedModel:
    key = spec.key(data, seed)
    if store.has(key):
        module = build(spec.arch, data.input_shape, data.n_classes, **spec.arch_kw)
        meta = store.load(key, module)
        return TrainedModel(spec, module, data, float(meta["accuracy"]), content_hash(module),
                            train_accuracy=meta.get("train_accuracy"))
    module = fit_spec(spec, data, seed, progress)
    acc = accuracy(module, data.X_test, data.y_test)
    train_acc = accuracy(module, data.X_train, data.y_train)
    digest = content_hash(module)
    store.save(key, module, {
        "model_id": spec.model_id, "title": spec.title, "dataset": data.name,
        "dataset_description": data.description, "architecture": getattr(module, "architecture", spec.arch),
        "accuracy": acc, "hash": digest, "n_train": int(len(data.train_idx)),
        "n_test": int(len(data.test_idx)), "seed": seed, "train_accuracy": train_acc,
    })
    return TrainedModel(spec, module, data, acc, digest, trained_now=True, train_accuracy=train_acc)
