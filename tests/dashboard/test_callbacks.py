"""The dashboard's start-up and app callbacks as plain functions, no browser. The other
callback tests: test_sample_browser, test_tab_renders, test_upload_callbacks."""
from __future__ import annotations

import pytest
from dash import no_update

from dashboard import create_app, ids
from dashboard.callbacks import startup_view
from dashboard.startup import progress_fraction
# other tests import these helpers from here
from tests.dashboard.rendered import alerts, by_id, figures, text, upload_value, walk  # noqa: F401


def test_startup_progress_and_ready_switch():
    assert progress_fraction({"index": 1, "total": 4, "stage": "training", "epoch": 2, "epochs": 4}) == 0.375
    # weighted: the first model costs 6 of 9 units; half of the second done -> (6 + 1) / 9
    assert progress_fraction({"index": 1, "total": 3, "stage": "training", "epoch": 5, "epochs": 10},
                             [6, 2, 1]) == pytest.approx(7 / 9)
    assert progress_fraction({"index": 3, "total": 3, "stage": "ready"}, [6, 2, 1]) == 1.0
    style, msg, ready, disabled, panel, main, header = startup_view(
        {"ready": False, "fraction": .5, "message": "x"}, False)
    assert style == {"width": "50.0%"} and ready is no_update and disabled is False and main == {"display": "none"}
    _, _, ready, disabled, panel, main, header = startup_view({"ready": True}, False)
    assert ready is True and disabled is True and panel == {"display": "none"} and main == {} and header == {}
    _, msg, ready, *_ = startup_view({"ready": False, "error": "Disk full"}, False)
    assert alerts(msg) == ["Disk full"] and ready is False


def test_app_layout_has_every_id_and_serves(service, tmp_path):
    import diskcache
    from dash import DiskcacheManager

    app = create_app(service, DiskcacheManager(diskcache.Cache(str(tmp_path))), start=False)
    found = {c.id for c in walk(app.layout) if isinstance(getattr(c, "id", None), str)}
    wanted = {v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)} - {
        ids.THUMB, ids.PARAM, ids.PREDICTED, ids.SAMPLE_TRUE, ids.SAMPLE_PRED, ids.ALL_LAYERS, ids.NO_METHOD, ids.MISCLASSIFIED, ids.HELD_OUT,
        ids.SAMPLE_ERROR,
        *ids.TAB_NAMES, *ids.RENDERED}
    assert wanted <= found, wanted - found
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    assert app.glimpse_startup.wait(60) is True


def test_startup_prepares_the_first_view_and_a_failing_warm_up_does_not_block_it(service):
    from dashboard.startup import Startup

    seen = []

    def before(svc):
        seen.append(("before", st.status()["ready"], st.status()["done"]))

    def broken(svc):
        seen.append(("after", st.status()["ready"], st.status()["done"]))
        raise RuntimeError("warm-up failed")

    st = Startup(service, before_ready=(before,), after_ready=(broken,)).start()
    assert st.wait(60) is True
    # `done` only once the thread has finished its work after `ready` too (a test measuring
    # a worker's memory waits for it)
    assert seen == [("before", False, False), ("after", True, False)]
    assert st.status()["error"] is None and st.status()["done"] is True


def test_warm_start_shows_the_page_after_the_default_model_and_loads_the_rest_behind_it(settings):
    from dashboard.sample_info import model_options
    from dashboard.startup import Startup
    from explain_core import ExplanationService

    svc = ExplanationService(settings)          # models stored by the session fixture, none loaded
    assert svc.models_stored()
    options = model_options(svc)
    assert [o["value"] for o in options][:len(svc.specs)] == list(svc.specs)
    assert not set(svc._models) & set(svc.specs)           # listing loads no default model (uploads: their cards)
    assert options[0]["label"] == "MNIST CNN (images)"
    loaded_at_ready = []
    st = Startup(svc, before_ready=(lambda s: loaded_at_ready.append(sorted(s._models)),), after_ready=()).start()
    assert st.wait(120) is True
    assert [[m for m in at if m in svc.specs] for at in loaded_at_ready] == [["mnist-cnn"]]
    assert set(svc.specs) <= set(svc._models)                   # the others were loaded after the page showed
    assert model_options(svc) == options
