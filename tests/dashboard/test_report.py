"""The exported report: a pure function of the service's results (dashboard/report.py) and
what it collects for each tab (dashboard/report_view.py)."""
from datetime import datetime, timezone

import plotly.graph_objects as go
import pytest

from dashboard import ids
from dashboard.report import Report, Section, report_filename, report_html
from dashboard.report_view import collect
from dashboard.share import export
from explain_core.errors import GlimpseError

FAKE_JS = "/*the plotly library*/ var Plotly = {newPlot: function () {}}; // </script> inside"


def tiny_report(**kw):
    fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]))
    base = dict(title="Glimpse report: <Net>", model=(("Model", "net & co"),), model_hash="abc123",
                sample=(("Sample", "#4"),), version="9.9", created="2026-12-04 22:00 UTC",
                sections=(Section("Integrated gradients", "red: towards", fig, "integrated_gradients",
                                  {"n_steps": 50, "baseline": "zero", "kernel_width": None}, ("Completeness: 0.1%",)),
                          Section("Saliency", "size of the gradient", fig, "saliency", {"abs": True})))
    base.update(kw)
    return Report(**base)


def test_the_library_is_inlined_once_and_every_figure_drawn_with_it():
    page = report_html(tiny_report(), plotly_js=FAKE_JS)
    assert page.count("the plotly library") == 1
    assert page.index("the plotly library") < page.index('Plotly.newPlot("fig-0"')
    assert 'Plotly.newPlot("fig-1"' in page and page.count("Plotly.newPlot(") == 2
    assert "<\\/script> inside" in page            # the library cannot end its own tag
    assert "src=\"http" not in page and "href=\"http" not in page   # nothing to fetch


def test_the_report_names_the_model_the_parameters_and_the_version_and_escapes_text():
    page = report_html(tiny_report(link="http://h/?model=a&sample=4"), plotly_js=FAKE_JS)
    for text in ("abc123", "n_steps", "<td>50</td>", "<td>default</td>", "Completeness: 0.1%", "Glimpse 9.9",
                 "2026-12-04 22:00 UTC", "net &amp; co", "&lt;Net&gt;", "?model=a&amp;sample=4"):
        assert text in page, text
    assert "<Net>" not in page


def test_a_view_without_figures_says_so():
    page = report_html(tiny_report(sections=()), plotly_js=FAKE_JS)
    assert "no explanation figure" in page


@pytest.mark.parametrize("name", ["glimpse-mnist-cnn-3-gradients.html"])
def test_file_names_keep_safe_characters(name):
    assert report_filename("mnist-cnn", 3, "gradients") == name
    assert "/" not in report_filename("../../etc/passwd", 1, "x")


NOW = datetime(2026, 12, 4, 22, 0, tzinfo=timezone.utc)


def test_gradients_report_holds_every_parameter_and_the_completeness_check(service):
    r = collect(service, "mnist-cnn", 3, ids.TAB_GRADIENTS, None,
                {"method_a": "integrated_gradients", "params_a": {"n_steps": 64},
                 "method_b": "smoothgrad", "params_b": {}}, now=NOW)
    ig, sg = r.sections
    assert ig.params == {"n_steps": 64, "baseline": "zero", "rule": "gausslegendre"}
    assert set(sg.params) >= {"n_samples", "noise_level", "abs", "seed"}
    assert any(n.startswith("Completeness") for n in ig.notes)
    assert r.model_hash == service.model_info("mnist-cnn").hash
    assert r.sample_image.startswith("data:image/png;base64,")
    assert ("Held-out accuracy", f"{100 * service.model_info('mnist-cnn').accuracy:.1f}% on "
            f"{service.model_info('mnist-cnn').n_test:,} samples") in r.model
    assert r.created == "2026-12-04 22:00 UTC"
    # |gradient| (SmoothGrad's default) is never negative: its caption does not speak of blue
    assert "blue" in ig.caption and "blue" not in sg.caption and "unit:" in sg.caption


def test_tabular_lime_report_holds_the_local_fit_and_the_rows_values(service):
    r = collect(service, "wine-mlp", 5, ids.TAB_LIME, 1, {"lime": {"n_samples": 300}}, now=NOW)
    (lime,) = r.sections
    assert lime.params["n_samples"] == 300 and any("Local fit" in n for n in lime.notes)
    x = service.sample("wine-mlp", 5).inputs
    assert len(r.sample_values) == len(x) and r.sample_values[0][0] == service.model_info("wine-mlp").feature_names[0]
    assert ("Explained class", "class_1") in r.sample or any(k == "Explained class" for k, _ in r.sample)


def test_tree_report_of_a_regression(service):
    r = collect(service, "diabetes-mlp", 2, ids.TAB_TREE, None, {"depth": 3}, now=NOW)
    (tree,) = r.sections
    assert tree.params == {"max_depth": 3} and tree.table and tree.notes[0].startswith("Rules")
    assert any(k == "Held-out R²" for k, _ in r.model) and r.sample_figure is None


def test_export_refuses_a_bad_view_with_a_message(service):
    with pytest.raises(GlimpseError):
        export(service, {"model": "nope", "sample": 1}, ids.TAB_GRADIENTS, None, {}, "")
    with pytest.raises(GlimpseError):
        export(service, {"model": "wine-mlp", "sample": 10**6}, ids.TAB_GRADIENTS, None, {}, "")
    data, status = export(service, {"model": "wine-mlp", "sample": 1}, "no-such-tab", None, {}, "")
    assert "no report" in str(status.children)


def test_the_what_if_edit_is_exported_with_its_own_prediction(service):
    blank = {"model": "mnist-cnn", "sample": 3, "values": [0.0] * 784, "origin": "draw"}
    data, status = export(service, {"model": "mnist-cnn", "sample": 3}, ids.TAB_WHATIF, None,
                          {"whatif_method": "gradient_x_input"}, "", blank)
    page = data["content"]
    assert data["filename"] == "glimpse-mnist-cnn-edited-gradients.html" and "edited copy of #3" in page
    assert "Gradient × input" in page and service.model_info("mnist-cnn").hash in page
    p = service.predict_input("mnist-cnn", blank["values"])
    assert f"({100 * float(p.probabilities[p.prediction]):.1f}%)" in page
    with pytest.raises(GlimpseError):     # another model's edit
        export(service, {"model": "mnist-mlp", "sample": 3}, ids.TAB_WHATIF, None, {"whatif_method": "saliency"}, "",
               blank)
