"""The model-level 'which method to trust' ranking: engine over held-out samples (mean and
spread equal the per-sample tables) and the tab's table, as plain functions."""
from __future__ import annotations

import numpy as np
import pytest

from dashboard.tabs.method_ranking import _samples, ranking_table
from explain_core.errors import ParameterError
from explain_core.quality.model_view import cached_ranking, progress_to
from explain_core.quality.report import COLUMNS


@pytest.fixture(scope="module")
def service(settings):
    from tests.quality_service import service_with
    return service_with(settings, ["breast-cancer-mlp"])


def test_ranking_over_held_out_samples_agrees_with_the_per_sample_tables(service):
    mid = "breast-cancer-mlp"
    seen = []
    with progress_to(seen.append):
        ranking = service.model_view(mid, "method-ranking", n_samples=2)
    assert seen[-1] == {"done": 2, "total": 2}
    cached = cached_ranking(service, mid, 2)
    assert cached is not None and np.array_equal(cached.mean, ranking.mean)
    assert cached_ranking(service, mid, 3) is None          # never computed: the tab offers the button
    tables = [service.quality("table", mid, i) for i in ranking.samples]
    for k, m in enumerate(ranking.methods):
        for c, (key, _, _) in enumerate(COLUMNS):
            values = [getattr(next(r for r in t.rows if r.method == m), key) for t in tables]
            assert ranking.mean[k, c] == pytest.approx(np.mean(values), rel=1e-6, abs=1e-9), (m, key)
            assert ranking.std[k, c] == pytest.approx(np.std(values), rel=1e-6, abs=1e-9), (m, key)
    text = str(ranking_table(ranking).to_plotly_json())
    assert "Integrated gradients" in text and "±" in text and "held-out samples" in text


@pytest.mark.parametrize("bad", [0, 201, 2.5, "ten", True])
def test_bad_sample_counts_are_named(bad):
    with pytest.raises(ParameterError, match="Held-out samples"):
        _samples(bad)


def test_the_engine_refuses_bad_settings(service):
    with pytest.raises(ParameterError, match="n_samples"):
        service.model_view("breast-cancer-mlp", "method-ranking", n_samples=-1)
    with pytest.raises(ParameterError, match="Unknown setting"):
        service.model_view("breast-cancer-mlp", "method-ranking", bogus=1)
