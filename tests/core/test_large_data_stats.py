"""Large data without needless work: splits of consecutive rows are views, statistics take a
fixed draw of the rows, the fingerprint hashes X without copying it (and keeps its value),
and the distilled tree is fitted and scored on a draw, which the tab says."""
from __future__ import annotations

import hashlib

import numpy as np
import torch
from torch import nn

from explain_core.data.arrays import from_arrays
from explain_core.data.dataset import Dataset, rows_of
from explain_core.methods.tree import DistilledTree


def test_consecutive_rows_are_a_view_other_rows_a_copy():
    a = np.arange(40.0).reshape(20, 2)
    run = rows_of(a, np.arange(5, 12))
    assert np.shares_memory(run, a) and np.array_equal(run, a[5:12])
    picked = rows_of(a, np.array([1, 4, 5]))
    assert not np.shares_memory(picked, a) and np.array_equal(picked, a[[1, 4, 5]])
    X = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    d = from_arrays("t", X[:20], np.zeros(20, np.int64), ("a",), X_train=X[20:], y_train=np.zeros(10, np.int64))
    assert np.shares_memory(d.X_train, d.X) and np.shares_memory(d.X_test, d.X)
    np.testing.assert_array_equal(d.train_mean, X[20:].mean(axis=0).astype(np.float32))


def test_a_draw_of_rows_is_fixed_sorted_and_only_taken_when_there_are_more():
    X = np.zeros((1_000, 2), np.float32)
    d = Dataset("d", "tabular", X, np.zeros(1_000, np.int64), np.arange(0, 1_000, 2), np.arange(1, 1_000, 2),
                ("a",), ("x", "y"))
    assert np.array_equal(d.subsample("train", 600), d.train_idx)
    draw = d.subsample("test", 100)
    assert len(draw) == 100 == len(set(draw.tolist())) and (np.diff(draw) > 0).all()
    assert set(draw.tolist()) <= set(d.test_idx.tolist()) and np.array_equal(draw, d.subsample("test", 100))


def test_the_fingerprint_keeps_its_value():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 1, 4, 4)).astype(np.float32)
    d = Dataset("n", "image", X, np.arange(50) % 3, np.array([1, 5, 9]), np.arange(10), ("a",), ())
    h = hashlib.sha1(d.name.encode())
    for a in (d.X, d.y, d.train_idx):
        h.update(np.ascontiguousarray(a).tobytes())
    assert d.fingerprint() == h.hexdigest()[:16]


def test_the_tree_is_fitted_and_scored_on_a_draw():
    from dashboard.tabs.tree import drawn_note

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3))
    X = np.random.default_rng(2).normal(size=(3_000, 4)).astype(np.float32)
    y = np.zeros(1_000, np.int64)
    tree = DistilledTree(max_depth=2, max_fit_rows=500, max_score_rows=200, n_synthetic=0).fit(
        model, X[:2_000], X[2_000:], y)
    result = tree.explain(X[0])
    assert (result.n_fit, result.n_scored) == (500, 200) and tree.tree_.tree_.n_node_samples[0] == 500
    same = DistilledTree(max_depth=2, max_fit_rows=500, max_score_rows=200, n_synthetic=0).fit(
        model, X[:2_000], X[2_000:], y).explain(X[0])
    assert same.rules == result.rules and same.fidelity == result.fidelity      # a fixed draw

    class Info:
        n_test = 1_000
    note = drawn_note(result, Info())
    assert "a draw of 200 of the 1,000 held-out samples" in note[0].children and "500 training" in note[0].children
    Info.n_test = 200
    assert drawn_note(result, Info()) == []        # all of them: nothing to say
