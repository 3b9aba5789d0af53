"""The upload panel's callbacks as plain functions (no browser): CSV preview and
training, TorchScript files, and their errors shown as messages."""
from __future__ import annotations

import numpy as np
from dash import html, no_update

from dashboard import ids
from dashboard.callbacks import select
from dashboard.samples import Filters
from dashboard.tabs import activations, gradients, lime, tree
from dashboard.upload import add_torchscript, parse_shape, preview, train_csv
from tests.dashboard.rendered import alerts, figures, gradient_methods, text, upload_value


def csv_bytes(n=160, seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    label = np.where(x1 + 0.5 * x2 > 0, "yes", "no")
    lines = ["x1,x2,colour,label"] + [f"{a:.3f},{b:.3f},{c},{d}" for a, b, c, d in zip(x1, x2, colour, label)]
    return ("\n".join(lines) + "\n").encode()


def test_csv_preview_lists_columns_and_target_candidates(service):
    children, options, value, disabled, tasks = preview(service, upload_value(csv_bytes()), "toy.csv")
    assert [o["value"] for o in options] == ["x1", "x2", "colour", "label"] and value == "label" and disabled is False
    assert options[0]["label"] == "x1 (regression)" and options[3]["label"] == "label (classification)"
    assert tasks == {"x1": ["regression"], "x2": ["regression"], "colour": ["classification"],
                     "label": ["classification"]}
    assert "160 rows, 4 columns" in text(html.Div(children))


def test_bad_csv_shows_its_message_and_keeps_the_current_model(service):
    before = service.model_ids()
    bad = b"a,b,c\n1,2,3\n4,5\n"
    expected = None
    try:
        service.preview_csv(bad, "bad.csv")
    except Exception as e:   # the service's own message is what the page must show
        expected = str(e)
    assert expected and "Line 3" in expected
    children, options, _, disabled, tasks = preview(service, upload_value(bad), "bad.csv")
    assert alerts(children) == [expected] and options == [] and disabled is True and tasks == {}
    progress = []
    message, added = train_csv(service, progress.append, upload_value(bad), "bad.csv", "c")
    assert alerts(message) == [expected]
    assert added is no_update                     # the selection callback is not triggered...
    assert service.model_ids() == before          # ...and no model was added
    state = {"model": "mnist-cnn", "sample": 4}
    assert select(service, ids.CSV_ADDED, None, state, True, "", Filters())[0] is no_update


def test_good_csv_trains_a_model_that_gets_selected_and_explained(service):
    reports = []
    message, model_id = train_csv(service, reports.append, upload_value(csv_bytes()), "toy.csv", "label")
    assert alerts(message) and "Trained" in alerts(message)[0]
    assert model_id in service.model_ids()
    info = service.model_info(model_id)
    assert info.kind == "tabular" and info.class_names == ("no", "yes") and info.accuracy > 0.7
    assert len(reports) >= 2 and reports[-1][1] == "Done"
    state = select(service, ids.CSV_ADDED, model_id, {"model": "mnist-cnn", "sample": 0}, True, "", Filters())[0]
    assert state["model"] == model_id and service.samples(model_id).is_test[state["sample"]]
    assert "gradcam" not in gradient_methods(service, model_id)
    for children in (activations.render(service, model_id, state["sample"], ids.ALL_LAYERS),
                     gradients.render(service, model_id, state["sample"], ids.PREDICTED, "integrated_gradients", {}),
                     lime.render(service, model_id, state["sample"], ids.PREDICTED, 200, None),
                     tree.render(service, model_id, state["sample"], 2)):
        assert alerts(children) == [] and figures(children)


def test_torchscript_upload_errors_are_shown(service):
    message, added = add_torchscript(service, upload_value(b"not a model", "application/octet-stream"),
                                     "junk.pt", "1,28,28", "", None)
    assert alerts(message) and added is no_update
    message, added = add_torchscript(service, upload_value(b"x"), "m.pt", "1,twenty,28", "", None)
    assert "1,twenty,28" in alerts(message)[0] and added is no_update
    assert parse_shape("1x28x28") == (1, 28, 28) and parse_shape("(30,)") == (30,)


def test_torchscript_upload_adds_a_model_explained_on_the_chosen_data(service):
    import io

    import torch   # the test builds a user's model file; the dashboard itself never imports torch

    torch.manual_seed(0)
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(30, 2)), buf)
    message, model_id = add_torchscript(service, upload_value(buf.getvalue(), "application/octet-stream"),
                                        "linear.pt", "30", "no, yes", "breast-cancer-mlp")
    assert alerts(message) and "Added" in alerts(message)[0]
    info = service.model_info(model_id)
    assert info.source == "torchscript" and info.class_names == ("no", "yes") and info.n_samples == 569
    children = gradients.render(service, model_id, 0, ids.PREDICTED, "gradient_x_input", {})
    assert alerts(children) == [] and len(figures(children)) == 1
