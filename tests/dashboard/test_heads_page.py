"""The page for a binary (one logit) and a regression model, as plain functions: the
browser's columns and 'largest errors first', the sample panel, the model card, the
figures' wording, and the CSV panel's task choice."""
from __future__ import annotations

import numpy as np
import pytest
from dash import html, no_update
from sklearn.datasets import load_diabetes

from dashboard import csv_targets, heads, ids, validate
from dashboard.callbacks import class_filter_options, head_controls
from dashboard.figures.tree import tree_figure
from dashboard.figures.value import value_figure
from dashboard.sample_info import model_card, sample_panel, target_options
from dashboard.samples import Filters, Thumbnails, browse, ordered_ids, table_columns
from dashboard.tabs import gradients, lime, tree
from dashboard.upload import preview, train_csv
from explain_core.data.csv_upload import parse_csv
from explain_core.errors import ParameterError
from tests.dashboard.test_callbacks import alerts, text, upload_value, walk

BINARY, REGRESSION = "seed-binary-mlp", "diabetes-mlp"


def test_largest_errors_first_sorts_by_absolute_error(service):
    table = service.samples(REGRESSION)
    held = np.flatnonzero(table.is_test)
    order = ordered_ids(service, REGRESSION, Filters(misclassified=True, held_out=True))
    assert sorted(order) == list(held)                       # nothing is filtered out, only ordered
    err = np.abs(table.errors[order])
    assert (np.diff(err) <= 0).all() and err[0] == np.abs(table.errors[held]).max()
    # without the flag: id order; a column sort wins over the flag
    assert list(ordered_ids(service, REGRESSION, Filters(held_out=True))) == list(held)
    by_true = ordered_ids(service, REGRESSION, Filters(misclassified=True, held_out=True),
                          [{"column_id": "true", "direction": "asc"}])
    assert (np.diff(table.labels[by_true]) >= 0).all()
    by_error = ordered_ids(service, REGRESSION, Filters(held_out=True), [{"column_id": "error", "direction": "desc"}])
    assert (np.diff(table.errors[by_error]) <= 0).all()


def test_misclassified_still_filters_a_binary_model(service):
    table = service.samples(BINARY)
    wrong = ordered_ids(service, BINARY, Filters(misclassified=True))
    assert len(wrong) and (table.labels[wrong] != table.predictions[wrong]).all()
    assert len(wrong) == int((table.labels != table.predictions).sum())


def test_the_regression_browser_lists_true_predicted_and_error(service):
    info = service.model_info(REGRESSION)
    assert [c["id"] for c in table_columns(info)][:5] == ["id", "split", "true", "pred", "error"]
    view = browse(service, Thumbnails(service), REGRESSION, 1, Filters(misclassified=True, held_out=True), 0,
                  follow_selection=False)
    t = service.samples(REGRESSION)
    first = view.rows[0]
    assert first["error"] == pytest.approx(float(t.errors[first["id"]]), rel=1e-3)
    assert first["true"] == pytest.approx(float(t.labels[first["id"]]), rel=1e-3)
    assert abs(first["error"]) == pytest.approx(np.abs(t.errors[t.is_test]).max(), rel=1e-3)


def test_head_controls_follow_the_model(service):
    disabled, note, style, flags, head = head_controls(service.model_info(REGRESSION))
    assert disabled is True and style == {"display": "none"} and "predicted value" in note
    assert flags[0] == {"label": "largest errors first", "value": ids.MISCLASSIFIED}
    assert "Predicted value" in text(html.Div(head))
    assert class_filter_options(service.model_info(REGRESSION)) == []
    assert target_options(service.model_info(REGRESSION)) == [{"label": "Predicted value", "value": ids.PREDICTED}]
    disabled, note, style, flags, head = head_controls(service.model_info(BINARY))
    assert disabled is False and style == {} and flags[0]["label"] == "misclassified only"
    assert "'positive' explains z" in note and "'negative' explains −z" in note
    _, note, *_ = head_controls(service.model_info("wine-mlp"))
    assert note.startswith("Every tab explains this class")


def test_sample_panel_of_a_regression(service):
    d = service.dataset_for(REGRESSION)
    i = int(d.test_idx[0])
    s = service.sample(REGRESSION, i)
    children, fig = sample_panel(service, Thumbnails(service), REGRESSION, i)
    facts = text(html.Div(children))
    assert f"True progression {s.label:.4g}" in facts and f"Prediction {s.prediction:.4g}" in facts
    assert f"{s.prediction - s.label:+.4g} (prediction − true)" in facts
    bar, diamond = fig.data
    assert bar.type == "bar" and bar.base[0] + bar.x[0] == pytest.approx(s.prediction, rel=1e-6)
    assert diamond.x[0] == pytest.approx(s.label)


def test_value_figure_spans_the_target_range():
    fig = value_figure(400.0, 120.0, (25.0, 346.0), "progression")
    lo, hi = fig.layout.xaxis.range
    assert lo < 25 and hi > 400                        # a prediction beyond the range stays in view
    assert "error +280" in fig.layout.title.text
    unlabelled = value_figure(90.0, 90.0, (25.0, 346.0), labelled=False)
    assert len(unlabelled.data) == 1 and "no true value" in unlabelled.layout.title.text


def test_model_cards(service):
    card = text(html.Div(model_card(service.model_info(REGRESSION))))
    info = service.model_info(REGRESSION)
    assert f"R² {info.r2:.3f}" in card and "mean absolute error" in card and "Held-out accuracy" not in card
    assert "progression, from 25 to 346" in card and "nan" not in card
    card = text(html.Div(model_card(service.model_info(BINARY))))
    assert "one logit z, p(positive) = sigmoid(z)" in card and "Held-out accuracy" in card
    assert "of the 5 informative features on 100% of held-out rows" in card
    card = text(html.Div(model_card(service.model_info("wine-mlp"))))
    assert "Output" not in card and "Held-out accuracy" in card


def titles(children) -> list[str]:
    return [c.figure.layout.title.text for c in walk(html.Div(children)) if hasattr(c, "figure") and c.figure]


def subtitles(children) -> list[str]:
    return [c.figure.layout.title.subtitle.text for c in walk(html.Div(children)) if hasattr(c, "figure")
            and c.figure]


def test_tabs_say_what_they_explain(service):
    i = int(service.dataset_for(REGRESSION).test_idx[0])
    maps = gradients.render(service, REGRESSION, i, ids.PREDICTED, "integrated_gradients", {})
    assert titles(maps) == ["Integrated gradients for the predicted progression"]
    assert heads.TOWARDS_VALUE in subtitles(maps)[0] and heads.TOWARDS_CLASS not in subtitles(maps)[0]
    out = lime.render(service, REGRESSION, i, ids.PREDICTED)
    assert titles(out) == ["LIME for the predicted progression"] and "p(class)" not in subtitles(out)[0]
    assert "Distilled regression tree" in titles(tree.render(service, REGRESSION, i))[0]
    assert "R² against the network (held-out)" in text(html.Div(tree.render(service, REGRESSION, i)))
    j = 5
    neg = gradients.render(service, BINARY, j, 0, "saliency", {"abs": False})
    pos = gradients.render(service, BINARY, j, 1, "saliency", {"abs": False})
    assert titles(neg) == ["Saliency for negative (−z)"] and titles(pos) == ["Saliency for positive (the output z)"]
    assert titles(lime.render(service, BINARY, j, 1)) == ["LIME for positive"]      # it fits p(positive)
    wine = gradients.render(service, "wine-mlp", 0, 1, "saliency", {})
    assert titles(wine)[0].startswith("Saliency") and "class 1" in titles(wine)[0]   # multi-class as before


def test_regression_tree_figure_colours_leaves_by_value(service):
    r = service.explain(REGRESSION, 0, "tree", max_depth=2)
    fig = tree_figure(r)
    leaves = next(t for t in fig.data if t.name == "leaves")
    assert len(set(leaves.marker.color)) == len(leaves.x) == 4       # one colour per mean value
    assert "R²" in fig.layout.title.text and "low" in fig.layout.annotations[-1].text
    assert all("<br>mean" in t for t in leaves.text)


# ----------------------------------------------------------------------------- CSV upload
def test_task_choice_offers_what_the_column_allows():
    rng = np.random.default_rng(0)
    rows = ["x,grade,city,score"] + [f"{rng.normal():.3f},{k % 5},{'ab'[k % 2]},{rng.normal():.4f}"
                                     for k in range(60)]
    table = parse_csv(("\n".join(rows) + "\n").encode())
    tasks = csv_targets.tasks_data(table)
    assert tasks == {"x": ["regression"], "grade": ["classification", "regression"], "city": ["classification"],
                     "score": ["regression"]}
    options, value, hint = csv_targets.task_choice("grade", tasks)
    assert value == "classification" and not any(o["disabled"] for o in options) and "or a regression" in hint
    options, value, hint = csv_targets.task_choice("score", tasks)
    assert value == "regression" and [o["disabled"] for o in options] == [True, False]
    options, value, hint = csv_targets.task_choice("city", tasks)
    assert value == "classification" and [o["disabled"] for o in options] == [False, True]
    assert csv_targets.task_choice(None, tasks)[1] is None
    with pytest.raises(ParameterError):
        validate.task_map({"x": ["ranking"]})
    with pytest.raises(ParameterError):
        validate.task_map(["x"])


def test_columns_not_offered_say_why(service):
    rows = ["id,comment,label,const"] + [f"{k},note {k},{'ab'[k % 2]},7" for k in range(30)]
    children, options, value, disabled, tasks = preview(service, upload_value(("\n".join(rows) + "\n").encode()),
                                                        "notes.csv")
    shown = text(html.Div(children))
    assert [o["value"] for o in options] == ["label"] and value == "label"
    assert "3 columns not offered as the target" in shown
    assert "it counts the rows" in shown and "every value is different" in shown and "single value" in shown


def test_a_regression_csv_trains_through_the_page_function(service, tmp_path):
    df = load_diabetes(as_frame=True).frame
    df.iloc[0, 0] += 1e-7 * (1 + np.random.default_rng().integers(1000))     # a table unique to this run
    content = df.to_csv(index=False).encode()
    progress = []
    message, added = train_csv(service, progress.append, upload_value(content), "diabetes.csv", "target",
                               "regression")
    assert added.startswith("csv-")
    info = service.model_info(added)
    assert info.task == "regression" and f"held-out R² {info.r2:.3f}" in alerts(message)[0]
    assert any("Training: epoch" in p[1] for p in progress)
    message, again = train_csv(service, progress.append, upload_value(content), "diabetes.csv", "sex", "regression")
    assert again is no_update and "cannot be a regression target" in alerts(message)[0]
    message, again = train_csv(service, progress.append, upload_value(content), "diabetes.csv", "target", "ranking")
    assert again is no_update and "The task must be one of" in alerts(message)[0]
    import shutil

    from explain_core.uploads import uploads_root
    shutil.rmtree(uploads_root(service.store) / added, ignore_errors=True)
