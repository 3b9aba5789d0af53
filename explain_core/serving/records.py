"""The service's answers about models and samples: ModelInfo, SampleTable, Sample."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

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
    attention_layers: tuple[str, ...] = ()   # layers whose attention can be read (methods/attention.py)


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
