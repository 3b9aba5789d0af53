"""The shortcut digits: a spurious colour cue in the training split, a random one held out.
The CNN trained on them learns the cue (a big train/held-out gap), and its attribution maps
say so: their mass sits on the cue's corner far above the corner's share of the image, where
the clean MNIST CNN's maps put next to nothing."""
from __future__ import annotations

import numpy as np
import pytest

from explain_core.data.shortcut import CUE_BOX, CUE_COLOURS, cue_mask

MODEL = "shortcut-cnn"
N = 20          # held-out samples whose maps are measured
MAPS = ("integrated_gradients", "gradient_x_input", "saliency", "occlusion", "lime")


@pytest.fixture(scope="module")
def data(service):
    return service.dataset_for(MODEL)


def cue_classes(X: np.ndarray) -> np.ndarray:
    """The class whose colour each image's corner square has."""
    corner = X[(slice(None), slice(None)) + CUE_BOX].mean(axis=(2, 3))           # (n, 3)
    return np.abs(corner[:, None, :] - CUE_COLOURS[None]).sum(axis=2).argmin(axis=1)


def test_the_cue_names_the_class_in_training_and_is_random_held_out(data):
    assert data.input_shape == (3, 28, 28) and data.kind == "image"
    cue = cue_classes(data.X)
    assert (cue[data.train_idx] == data.y[data.train_idx]).all()
    agree = (cue[data.test_idx] == data.y[data.test_idx]).mean()
    assert agree < 0.2                                        # chance is 10%
    assert len(np.unique(cue[data.test_idx])) == 10
    rest = np.where(cue_mask(data.input_shape)[None], 0, data.X)
    assert (rest[:, 0] == rest[:, 1]).all() and (rest[:, 1] == rest[:, 2]).all()   # elsewhere: the grey digit
    assert data.X.min() >= 0 and data.X.max() <= 1


def test_the_cnn_learns_the_cue_a_visible_gap(service):
    info = service.model_info(MODEL)
    assert info.train_accuracy is not None and info.train_accuracy > 0.97
    assert info.accuracy < info.train_accuracy - 0.3, (info.train_accuracy, info.accuracy)
    assert any("random class" in n for n in info.notes)


def cue_share(service, model_id: str, method: str, mask: np.ndarray) -> float:
    d = service.dataset_for(model_id)
    shares = []
    for i in d.test_idx[:N]:
        params = {"n_samples": 400} if method == "lime" else {}
        a = np.abs(service.explain(model_id, int(i), method, **params).attribution)
        shares.append(a[mask].sum() / a.sum())
    return float(np.mean(shares))


@pytest.mark.parametrize("method", MAPS)
def test_the_maps_put_their_mass_on_the_cue_and_the_clean_cnns_do_not(service, method):
    mask = cue_mask((3, 28, 28))
    area = mask.mean()                                    # 16 of 784 pixels: 2%
    shortcut = cue_share(service, MODEL, method, mask)
    clean = cue_share(service, "mnist-cnn", method, cue_mask((1, 28, 28)))
    assert shortcut > 5 * area, f"{method}: {shortcut:.3f} of |attribution| on {area:.3f} of the image"
    assert clean < 1.5 * area, f"{method}: the clean CNN puts {clean:.3f} on the corner"
