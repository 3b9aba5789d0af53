"""The Architecture and Pruning what-if views in the browser: the graph renders for the
MNIST CNN and a table model, a click on a layer node opens that layer's activations, a
pruning run shows the before/after and a click on a unit's bar removes it by hand.
GLIMPSE_SHOTS=<folder> keeps model-architecture.png and model-pruning.png there (1366×768)."""
from __future__ import annotations

from dashboard import ids
from tests.e2e.helpers import shoot

ARCH, PRUNE = ids.output(ids.TAB_ARCH), ids.output(ids.TAB_PRUNING)
NODES_JS = """
var cy = window.cy;
if (!cy || cy.nodes().length === 0) return null;
return cy.nodes().map(function (n) { return {id: n.id(), label: n.data('label'), layer: n.data('layer'),
  x: n.renderedPosition().x, y: n.renderedPosition().y}; });
"""


def titles(figs) -> str:
    return " ".join(f["title"] + " " + f["subtitle"] for f in figs)


def graph_nodes(page, count: int):
    return page.until(lambda: (lambda n: n if n and len(n) == count else None)(page.js(NODES_JS)), 60,
                      f"{count} nodes in the graph")


def click_node(page, node_id: str):
    """A real mouse click on the node (the browser's own input events at the node's place in
    the window), after scrolling the node to mid-window."""
    x, y = page.js("""var box = document.querySelector('.arch-graph'), p = window.cy.$id(arguments[0]).renderedPosition();
                      window.scrollTo(0, box.getBoundingClientRect().top + window.scrollY + p.y - window.innerHeight / 2);
                      var r = box.getBoundingClientRect();
                      return [r.left + p.x, r.top + p.y];""", node_id)
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        page.driver.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                                                 "clickCount": 1})


def test_the_cnn_graph_renders_and_a_node_click_opens_its_activations(glimpse):
    page, service = glimpse, glimpse.service
    page.open(f"?model=mnist-cnn&sample=7&tab={ids.TAB_ARCH}")
    g = service.model_view("mnist-cnn", "architecture")
    nodes = graph_nodes(page, len(g.nodes))
    labels = {n["id"]: n["label"] for n in nodes}
    assert labels["conv1"] == "conv1 · Conv2d\n16×28×28\n160 parameters"
    assert labels["fc1"].endswith("100,416 parameters")
    assert f"{g.total_params:,} parameters" in page.text("arch-summary")
    page.idle()
    shoot(page, "model-architecture")
    click_node(page, "conv2")
    page.until(lambda: page.js(f"return document.querySelector('#{ids.TABS} .tab--selected').innerText")
               .strip() == "Layer activations", 20, "the activations tab")
    page.until(lambda: page.dropdown_text(f"#{ids.ACT_LAYER}").startswith("conv2"), 20, "conv2 in the picker")
    page.wait_figures(ids.output(ids.TAB_ACTIVATIONS), lambda f: "conv2" in titles(f), 60, "conv2's activations")
    assert page.sample_id() == 7
    page.assert_clean()


def test_a_table_models_graph_renders(glimpse):
    page, service = glimpse, glimpse.service
    page.open(f"?model=breast-cancer-mlp&tab={ids.TAB_ARCH}")
    g = service.model_view("breast-cancer-mlp", "architecture")
    labels = {n["id"]: n["label"] for n in graph_nodes(page, len(g.nodes))}
    assert labels["fc1"] == "fc1 · Linear\n32\n992 parameters" and labels["sub"] == "sub\n30"
    assert labels["relu1"] == "relu1 · ReLU\n32"
    assert f"{g.total_params:,} parameters" in page.text("arch-summary")
    page.assert_clean()


def test_a_pruning_run_shows_before_and_after(glimpse):
    page, service = glimpse, glimpse.service
    page.open(f"?model=mnist-cnn&sample=11&tab={ids.TAB_PRUNING}")
    page.until(lambda: page.dropdown_text(f"#{ids.PRUNE_LAYER}").startswith("conv1"), 30, "the layer picker")
    page.choose(ids.PRUNE_LAYER, "fc1")
    figs = page.wait_figures(PRUNE, lambda f: any(x["title"].startswith("fc1: its 64 units") for x in f)
                             and any(x["title"].startswith("Pruned:") for x in f), 90, "fc1 pruned by 16")
    r = service.model_view("mnist-cnn", "pruning", layer="fc1", how="magnitude", k=16)
    assert page.text("prune-headline").startswith("Removed 16 of 64 units of fc1")
    assert f"{100 * r.after:.1f}%" in page.text("prune-headline") and f"{r.flips:,} of 1,000" in page.text(
        "prune-headline")
    assert any(x["title"].startswith("As served: predicts") for x in figs)
    assert any(x["title"] == "Held-out accuracy per true class" for x in figs)
    page.idle()
    shoot(page, "model-pruning")
    # a click on a unit that is kept removes it by hand, on top of the 16
    kept = next(u for u in range(64) if u not in set(r.units.tolist()))
    page.js("""var g = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
               g.emit('plotly_click', {points: [{x: arguments[1], customdata: arguments[1], curveNumber: 0,
                                                 pointNumber: arguments[1]}]});""",
            '{"index":0,"type":"%s"}' % ids.PRUNE_UNIT_BARS, kept)
    page.until(lambda: page.text("prune-headline").startswith("Removed 17 of 64 units of fc1 (chosen by hand)"), 60,
               "17 units removed by hand")
    page.assert_clean()
