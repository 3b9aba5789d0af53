"""A user opens Glimpse, clicks through digits and tabs, and comes back to a digit."""
from __future__ import annotations

from dashboard import ids
from dashboard.samples import first_held_out

MODEL = "mnist-cnn"


def by_name(fig: dict, name: str) -> dict:
    found = [t for t in fig["traces"] if t["name"] == name]
    assert found, f"no trace {name!r} in {[t['name'] for t in fig['traces']]}"
    return found[0]


def test_opens_on_the_cnn_and_a_thumbnail_click_updates_the_sample(glimpse):
    page, service = glimpse, glimpse.service
    page.open()
    page.until(lambda: page.model_label().startswith("MNIST CNN"), 10, "the model picker to name the CNN")
    start = first_held_out(service, MODEL)
    assert page.sample_id() == start

    # list the sevens and click one
    table = service.samples(MODEL)
    names = service.model_info(MODEL).class_names
    assert table.labels[start] != 7
    page.choose(ids.FILTER_TRUE, "7")
    page.until(lambda: page.thumb_ids() and all(table.labels[i] == 7 for i in page.thumb_ids()), 20, "only sevens")
    other = page.thumb_ids()[3]
    page.select_sample(other)
    assert page.text(ids.SAMPLE_TRUE) == names[table.labels[other]]
    page.until(lambda: page.text(ids.SAMPLE_PRED) == names[table.predictions[other]], 10, "the prediction")
    page.until(lambda: page.ringed_thumb() == other, 10, "the selection ring over the clicked thumbnail")
    # the probability chart follows: one bar per class, for the new sample
    proba = page.wait_figures(ids.PROBA_GRAPH)
    bars = [t for t in proba[0]["traces"] if t["type"] == "bar"]
    assert bars and sum(t["n_y"] for t in bars) >= len(names)
    page.assert_clean()


# Records the outputs of every Dash request the page sends from now on, but the server
# notice's: its dcc.Interval asks every few seconds whatever the user does (a timer, not
# something a click or a tab asked for), so a slow run caught it among the counted ones.
RECORD_REQUESTS_JS = """
window.__dashOutputs = [];
if (!window.__recording) {
  var original = window.fetch;
  window.fetch = function (url, opts) {
    if (String(url).indexOf('_dash-update-component') >= 0) {
      var output;
      try { output = JSON.parse(opts.body).output; } catch (e) { output = '?'; }
      if (String(output).indexOf('%s') < 0) { window.__dashOutputs.push(output); }
    }
    return original.apply(this, arguments);
  };
  window.__recording = true;
}
""" % ids.SERVER_NOTICE


def test_a_click_asks_only_for_the_sample_and_the_visible_tab(glimpse):
    page = glimpse
    page.open()
    grad = ids.output(ids.TAB_GRADIENTS)
    page.wait_figures(grad)
    page.idle()
    page.js("document.querySelectorAll('#%s button.thumb').forEach(function (b) { b.__seen = true; });"
            % ids.THUMB_GRID)
    page.js("document.querySelector('#%s .js-plotly-plot').__seen = true;" % grad)
    page.js(RECORD_REQUESTS_JS)
    other = page.thumb_ids()[5]
    page.select_sample(other)
    page.wait_figures(grad, lambda f: page.service.cached(MODEL, other, "integrated_gradients"))
    page.idle()
    sent = page.js("return window.__dashOutputs")
    assert any(grad in o for o in sent) and any(ids.SAMPLE_INFO in o for o in sent)
    # the grid is not sent again (the same buttons stay in the page; a ring moves over the
    # clicked one) and no hidden tab is asked for anything
    assert not any(ids.THUMB_GRID in o for o in sent), sent
    assert not any(ids.output(t) in o for o in sent for t in ids.TAB_NAMES if t != ids.TAB_GRADIENTS), sent
    assert page.js("return Array.from(document.querySelectorAll('#%s button.thumb'))"
                   ".every(function (b) { return b.__seen === true; });" % ids.THUMB_GRID)
    page.until(lambda: page.ringed_thumb() == other, 10, "the ring over the clicked thumbnail")
    # the map was redrawn in place (the same plot, now the new sample's), not built anew
    assert page.js("return document.querySelector('#%s .js-plotly-plot').__seen === true;" % grad)
    predicted = page.service.samples(MODEL).predictions[other]
    page.wait_figures(grad, lambda f: f[0]["title"] == f"Integrated gradients for class {predicted}")
    page.until(lambda: f"sample={other}&" in page.driver.current_url, 10, "the address to follow")

    # a tab that is up to date is shown again without asking the server
    page.tab("Layer activations")
    page.wait_figures(ids.output(ids.TAB_ACTIVATIONS))
    page.idle()
    page.js("window.__dashOutputs = [];")
    page.tab("Gradient maps")
    page.until(lambda: page.js("return document.getElementById(arguments[0]).style.display !== 'none'",
                               ids.panel(ids.TAB_GRADIENTS)), 10, "the gradients panel")
    page.idle()
    assert page.figures(grad) and page.js("return window.__dashOutputs") == []
    shown = page.js("return Array.from(document.querySelectorAll('.tab-panel'))"
                    ".filter(function (p) { return p.style.display !== 'none'; }).map(function (p) { return p.id; });")
    assert shown == [ids.panel(ids.TAB_GRADIENTS)]      # one panel shown, the others hidden
    page.until(lambda: "tab=gradients" in page.driver.current_url, 10, "the address to name the tab")
    # ... but a tab whose sample changed while it was hidden renders the new one
    page.tab("Layer activations")
    third = next(i for i in page.thumb_ids() if i not in (other,))
    page.select_sample(third)
    page.tab("Gradient maps")
    page.until(lambda: page.service.cached(MODEL, third, "integrated_gradients"), 30, "the new sample's map")
    page.assert_clean()


def test_each_tab_shows_its_figure(glimpse):
    page, service = glimpse, glimpse.service
    page.open()
    sample = page.sample_id()
    info = service.model_info(MODEL)

    # activations: conv1's 16 feature maps, one labelled panel each, the top 5 outlined
    page.tab("Layer activations")
    figs = page.wait_figures(ids.output(ids.TAB_ACTIVATIONS), lambda f: f[0]["title"].startswith("conv1"))
    assert len(figs) == 1
    labels = by_name(figs[0], "channel labels")
    assert labels["n_text"] == 16 and labels["n_customdata"] == 16
    assert "16 feature maps" in figs[0]["title"]
    assert figs[0]["shapes"] == 5
    assert by_name(figs[0], "feature maps")["has_source"]        # the mosaic is drawn as one image
    # every layer stacked: one figure per layer of the network
    page.choose(ids.ACT_LAYER, "All layers, stacked")
    figs = page.wait_figures(ids.output(ids.TAB_ACTIVATIONS), lambda f: len(f) > 1, 60)
    assert [f["title"].split(" ")[0] for f in figs] == [name for name, _ in info.layers]

    # weights: conv1's kernels, then conv2's 32x16 kernels
    page.tab("Filter weights")
    figs = page.wait_figures(ids.output(ids.TAB_WEIGHTS), lambda f: f[0]["title"].startswith("conv1"))
    assert "16 filters (3×3)" in figs[0]["title"]
    page.choose(ids.WEIGHT_LAYER, "conv2 (Conv2d)")
    figs = page.wait_figures(ids.output(ids.TAB_WEIGHTS), lambda f: f[0]["title"].startswith("conv2"))
    assert "32×16 kernels (3×3)" in figs[0]["title"]

    # gradients: integrated gradients (the default) states its completeness delta
    out = ids.output(ids.TAB_GRADIENTS)
    page.tab("Gradient maps")
    figs = page.wait_figures(out, lambda f: f[0]["title"].startswith("Integrated gradients"))
    page.until(lambda: "Completeness: attributions sum to" in page.text(out), 10, "the completeness note")
    ig = service.explain(MODEL, sample, "integrated_gradients")
    # plain words first; the delta on the details line under them (issue 12)
    assert f"delta = {ig.delta:.2e}" in page.js("return document.getElementById(arguments[0]).textContent", out)
    # printed once: not again, rounded otherwise, in the figure's subtitle
    assert "δ" not in figs[0]["subtitle"] and "completeness" not in figs[0]["subtitle"].lower()
    # saliency: no completeness check
    page.choose(ids.METHOD_A, "Saliency")
    figs = page.wait_figures(out, lambda f: f[0]["title"].startswith("Saliency"))
    assert "Completeness" not in page.text(out)
    page.choose(ids.METHOD_A, "Integrated gradients")    # and back: the check is shown again
    page.wait_figures(out, lambda f: f[0]["title"].startswith("Integrated gradients"))
    page.until(lambda: f"delta = {ig.delta:.2e}" in page.js("return document.getElementById(arguments[0]).textContent",
                                                           out), 10, "the completeness note again")
    # Grad-CAM: its layer picker offers the conv layers; conv1 gives a 28x28 map
    page.choose(ids.METHOD_A, "Grad-CAM")
    figs = page.wait_figures(out, lambda f: f[0]["title"].startswith("Grad-CAM"))
    assert "from layer conv2 (14×14 map" in figs[0]["subtitle"]
    layer_picker = f"#{ids.PARAMS_A} .dash-dropdown"
    page.click(".settings-summary")          # a method's settings are folded under the map's controls
    assert page.dropdown_options(layer_picker) == list(info.conv_layers)
    page.choose(layer_picker, "conv1")
    page.wait_figures(out, lambda f: "from layer conv1 (28×28 map" in f[0]["subtitle"], msg="Grad-CAM on conv1")
    # side by side: Grad-CAM next to integrated gradients
    page.choose(ids.METHOD_B, "Integrated gradients")
    figs = page.wait_figures(out, lambda f: len(f) == 2, msg="two maps side by side")
    assert figs[0]["title"].startswith("Grad-CAM") and figs[1]["title"].startswith("Integrated gradients")

    # LIME: segment weights over the digit, segment outlines, the top segments ranked, the fit
    page.tab("LIME")
    figs = page.wait_figures(ids.output(ids.TAB_LIME), timeout=90)
    assert figs[0]["title"].startswith("LIME for class")
    assert by_name(figs[0], "attribution")["has_source"]
    assert by_name(figs[0], "segment boundaries")["n_x"] > 0
    assert by_name(figs[0], "top segment ranks")["n_text"] >= 1
    assert "Local fit: weighted R²" in page.text(ids.output(ids.TAB_LIME))

    # tree: the sample's path drawn thick from the root to its leaf
    page.tab("Distilled tree")
    figs = page.wait_figures(ids.output(ids.TAB_TREE), timeout=90)
    tree = service.explain(MODEL, sample, "tree", max_depth=4)
    path = by_name(figs[0], "sample's path")
    assert path["n_customdata"] == len(tree.path) >= 2
    edges = by_name(figs[0], "sample's path edges")
    assert edges["n_x"] == 3 * (len(tree.path) - 1)
    assert edges["line_width"] > by_name(figs[0], "edges")["line_width"]
    assert f"{100 * tree.fidelity:.1f}%" in page.text(ids.output(ids.TAB_TREE))
    page.assert_clean()


def test_going_back_to_a_seen_sample_is_served_from_the_cache(glimpse):
    page, service = glimpse, glimpse.service
    page.open()
    out = ids.output(ids.TAB_GRADIENTS)
    first = page.sample_id()
    page.wait_figures(out)
    second = next(i for i in page.thumb_ids() if i != first)
    calls = service.stats["hits"] + service.stats["misses"]
    page.select_sample(second)
    page.until(lambda: service.stats["hits"] + service.stats["misses"] > calls, 30, "the second sample's map")
    page.idle()
    assert service.cached(MODEL, first, "integrated_gradients")
    misses, hits = service.stats["misses"], service.stats["hits"]

    page.select_sample(first)
    page.until(lambda: service.stats["hits"] > hits, 20, "a cache hit for the revisited sample")
    page.idle()
    page.wait_figures(out, lambda f: f[0]["title"].startswith("Integrated gradients"))
    assert service.stats["misses"] == misses
    page.assert_clean()


def test_the_model_picker_switches_between_digits_and_a_table(glimpse):
    page, service = glimpse, glimpse.service
    page.open("?model=mnist-cnn&sample=42&tab=gradients")
    page.choose(ids.MODEL_SELECT, "Breast cancer MLP")
    table = service.samples("breast-cancer-mlp")
    page.until(lambda: page.sample_id() == first_held_out(service, "breast-cancer-mlp"), 30, "the table's first row")
    page.until(lambda: "model=breast-cancer-mlp" in page.driver.current_url, 10, "the URL")
    page.until(lambda: page.js("return document.querySelectorAll('#%s td.dash-cell').length" % ids.SAMPLE_TABLE),
               20, "the sample table")
    assert not page.thumb_ids()
    figs = page.wait_figures(ids.output(ids.TAB_GRADIENTS), lambda f: f[0]["traces"][0]["type"] == "bar")
    # a click on a row selects it (DataTable keeps hidden copies of fixed cells: visible ones only)
    visible = "Array.from(document.querySelectorAll('#%s td.dash-cell.column-' + arguments[0]))" \
              ".filter(function (c) { return c.offsetParent !== null; })" % ids.SAMPLE_TABLE
    target = int(page.js(f"return {visible}[3].innerText;", 0))
    page.js(f"{visible}[3].click();", 1)
    page.until(lambda: page.sample_id() == target, 20, f"row #{target} in the sample panel")
    page.until(lambda: f"sample={target}&" in page.driver.current_url, 10, "the address")
    names = service.model_info("breast-cancer-mlp").class_names
    assert figs[0]["title"].endswith(f"({names[table.predictions[page.sample_id()]]})")
    # and back: the digits, at the CNN's first held-out sample
    page.choose(ids.MODEL_SELECT, "MNIST CNN")
    page.until(lambda: page.thumb_ids(), 20, "the thumbnails")
    page.until(lambda: page.sample_id() == first_held_out(service, MODEL), 20, "the CNN's first held-out digit")
    page.assert_clean()
