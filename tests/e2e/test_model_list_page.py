"""A model list in a real browser: its bad entries are listed above the page, its good model
is in the picker, marked as coming from the list, and its layers are shown."""
from __future__ import annotations

import textwrap

from dashboard import ids
from explain_core.model_list import load_model_list
from tests.model_files import pt2_bytes, residual_cnn


def test_a_model_lists_problems_show_above_the_page(dash_duo, service, background_manager, tmp_path):
    from dashboard import create_app
    from explain_core import ExplanationService, Settings
    from tests.e2e import helpers
    from tests.e2e.conftest import free_port

    (tmp_path / "resnet.pt2").write_bytes(pt2_bytes(residual_cnn()))
    (tmp_path / "models.yaml").write_text(textwrap.dedent("""
        models:
          - {title: Team ResNet, file: resnet.pt2, data: mnist}
          - {title: Broken, file: gone.pt2, data: mnist}
        """))
    svc = ExplanationService(Settings(model_store=tmp_path / "m", cache_dir=service.settings.cache_dir,
                                      cache_type="simple"), specs=())
    assert len(load_model_list(svc, tmp_path / "models.yaml")) == 1
    app = create_app(svc, background_manager=background_manager)
    assert app.glimpse_startup.wait(60)
    page = helpers.Page(dash_duo, svc)
    dash_duo.start_server(app, port=free_port(), debug=True, use_reloader=False, dev_tools_hot_reload=False)
    page.open()
    notice = page.js("return document.querySelector('.startup-notices').innerText")
    assert "1 entry of the model list could not be loaded" in notice and "entry 2 (broken)" in notice
    assert "gone.pt2 cannot be read" in notice
    assert page.model_label() == "Team ResNet (images, from the model list)"
    page.tab("Layer activations")
    page.wait_figures(ids.output(ids.TAB_ACTIVATIONS), lambda f: f[0]["title"].startswith("conv1"), 60)
    page.assert_clean()

