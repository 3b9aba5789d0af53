"""A model trained on an uploaded CSV records its training history like the zoo's, and a
new service (a restart) finds it in the store."""
import numpy as np

from explain_core import ExplanationService, Settings
from tests.upload_models import binary_csv, regression_csv


def test_csv_models_record_and_keep_their_training_history(tmp_path):
    settings = Settings(model_store=tmp_path / "models", cache_dir=tmp_path / "cache", cache_type="simple")
    service = ExplanationService(settings, specs=())
    for content, target in ((binary_csv(200), "label"), (regression_csv(200), "progression")):
        mid = service.add_csv_model(content, target, filename=f"{target}.csv")
        view = service.model_view(mid, "training-history")
        assert view.recorded, view.note
        h = view.history
        assert len(h.epochs) >= 2 and list(h.epochs) == list(range(1, len(h.epochs) + 1))
        assert all(len(v) == len(h.epochs) for v in h.metrics.values())
        info = service.model_info(mid)
        if info.task == "regression":
            assert h.task == "regression"
        else:   # the last held-out accuracy is the model card's
            acc = next(v for k, v in h.metrics.items() if "acc" in k and ("test" in k or "held" in k))
            assert np.isclose(acc[-1], info.accuracy, atol=1e-6), (h.metrics.keys(), acc[-1], info.accuracy)
        assert h.series and all(s.counts.sum(axis=1).min() > 0 for s in h.series if hasattr(s, "counts"))
        # a restart reads it back from the store
        again = ExplanationService(settings, specs=()).model_view(mid, "training-history")
        assert again.recorded and np.array_equal(again.history.epochs, h.epochs)
