"""The architecture graph as dash-cytoscape elements and a stylesheet (pure functions of an
explain_core ArchitectureGraph): one node per layer or operation, labelled with its type,
output shape and parameter count; skip connections drawn as dashed orange curves."""
from __future__ import annotations

from .common import HIGHLIGHT, NEUTRAL, PRIMARY

LAYOUT = {"name": "dagre", "rankDir": "TB", "nodeSep": 24, "rankSep": 16, "animate": False, "fit": True,
          "padding": 10}
KIND_COLOURS = {"Conv2d": "#cfe3f5", "Linear": "#d9ecd0", "input": "#eeeeee", "output": "#eeeeee"}


def shape_text(shape) -> str:
    if shape is None:
        return "–"
    return "×".join(str(v) for v in shape) if len(shape) else "scalar"


def params_text(n: int) -> str:
    return "no parameters" if n == 0 else f"{n:,} parameter{'s' if n != 1 else ''}"


def node_label(node) -> str:
    """Name and type, output shape, and the parameter count where there are parameters."""
    if node.op in ("input", "output"):
        return f"{node.type}\n{shape_text(node.shape)}"
    head = f"{node.layer} · {node.type}" if node.op == "layer" and node.layer != node.type else node.type
    lines = [head, shape_text(node.shape)]
    if node.params:
        lines.append(params_text(node.params))
    return "\n".join(lines)


def graph_elements(graph, openable=()) -> list[dict]:
    """Nodes and edges. `openable`: layer names the activations tab can show (a click on
    one of them opens it); the others are drawn but take no click."""
    openable = set(openable)
    nodes = []
    for n in graph.nodes:
        classes = [n.op, n.type.lower()]
        if n.op == "layer" and n.layer in openable:
            classes.append("openable")
        nodes.append({"data": {"id": n.name, "label": node_label(n), "layer": n.layer if n.layer in openable else "",
                               "type": n.type, "params": int(n.params)},
                      "classes": " ".join(classes)})
    skips = set(graph.skips)
    edges = [{"data": {"id": f"{a}->{b}", "source": a, "target": b}, "classes": "skip" if (a, b) in skips else ""}
             for a, b in graph.edges]
    return nodes + edges


def stylesheet() -> list[dict]:
    return [
        {"selector": "node", "style": {
            "shape": "round-rectangle", "label": "data(label)", "text-wrap": "wrap", "text-valign": "center",
            "text-halign": "center", "font-size": 11, "font-family": "system-ui, sans-serif", "color": "#222",
            "width": 178, "height": 40, "background-color": "#f7f7f7", "border-width": 1, "border-color": NEUTRAL}},
        {"selector": "node.function", "style": {"shape": "ellipse", "width": 110, "height": 34,
                                                "background-color": "#fff7e6", "border-color": "#e6b35c"}},
        {"selector": "node.input, node.output", "style": {"shape": "round-tag", "width": 110, "height": 34,
                                                          "background-color": KIND_COLOURS["input"]}},
        {"selector": "node.conv2d", "style": {"background-color": KIND_COLOURS["Conv2d"]}},
        {"selector": "node.linear", "style": {"background-color": KIND_COLOURS["Linear"]}},
        {"selector": "node.openable", "style": {"border-width": 2, "border-color": PRIMARY}},
        {"selector": "node:selected", "style": {"border-width": 3, "border-color": HIGHLIGHT}},
        {"selector": "edge", "style": {"curve-style": "bezier", "target-arrow-shape": "triangle", "width": 1.5,
                                       "line-color": "#8a949e", "target-arrow-color": "#8a949e"}},
        {"selector": "edge.skip", "style": {"line-style": "dashed", "line-color": HIGHLIGHT, "width": 2.5,
                                            "target-arrow-color": HIGHLIGHT, "curve-style": "unbundled-bezier",
                                            "control-point-distances": [-120], "control-point-weights": [0.5]}},
    ]


def graph_height(graph) -> int:
    """Pixels for a top-to-bottom drawing: about 56 px per rank, within 320..680 (a deeper
    model is zoomed out to fit; the wheel zooms in)."""
    return int(min(680, max(320, 56 * len(graph.nodes))))


def summary(graph) -> str:
    layers = sum(1 for n in graph.nodes if n.op == "layer")
    weighted = sum(1 for n in graph.nodes if n.op == "layer" and n.params)
    trainable = ("all trainable" if graph.trainable_params == graph.total_params
                 else f"{graph.trainable_params:,} trainable")
    skips = f"; {len(graph.skips)} skip connection{'s' if len(graph.skips) != 1 else ''} (dashed)" \
        if graph.skips else ""
    return (f"{graph.total_params:,} parameters ({trainable}) in {weighted} of {layers} layers; traced with "
            f"{graph.traced_by}{skips}.")
