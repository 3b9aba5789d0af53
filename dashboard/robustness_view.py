"""What the Robustness tab shows, built from the engine's results (no callbacks here):
the adversarial example with its minimal ε, the maps before and after, and for table rows
the counterfactual sentences, their alternatives and the adversarial row."""
from __future__ import annotations

import numpy as np
from dash import html

from . import heads
from .components import alert, graph, note
from .figures.attribution import attribution_figure, feature_order
from .figures.common import METHOD_TITLES
from .figures.robustness import adversarial_image_figure, probabilities_figure

MAP_METHODS = ("saliency", "integrated_gradients", "smoothgrad", "gradient_x_input", "gradcam")


def fmt(v: float) -> str:
    from explain_core.robustness.counterfactual import number
    return number(v)


def minimal_note(result, m=None) -> html.P:
    m = m if m is not None else result.minimal
    if m is None:
        return note("The minimal ε was not searched.", className="robust-minimal")
    units = result.units
    if not m.found:
        text = (f"No ε up to {m.epsilon:.3g} {units} (the whole data range) flips this prediction with "
                f"{m.attack.upper()}.")
    else:
        text = (f"Minimal ε that flips it: {m.epsilon:.4g} {units} ({m.attack.upper()}"
                f"{'-' + str(m.steps) if m.attack == 'pgd' else ''}, {_norm(result.params['norm'])}; bisection: "
                f"flipped at {m.epsilon:.4g}, held at {m.lower:.4g}, tolerance {m.tolerance:.2g}; {m.trials} attacks).")
    return note(text, className="robust-minimal", id="robust-minimal")


def _norm(n) -> str:
    return {"linf": "L∞", "l2": "L2"}.get(n, n)


def maps_side_by_side(service, model_id: str, sample_id: int, info, result, method: str):
    """The chosen method's map for the original and for the adversarial input (same class)."""
    target = None if result.task == "regression" else int(result.prediction_before)
    before = service.explain(model_id, sample_id, method, target=target)
    after = service.explain_input(model_id, result.adversarial, method, target=target)
    title = METHOD_TITLES.get(method, method)
    order = feature_order(before.attribution) if info.kind == "tabular" else None
    panes = []
    for res, where in ((before, "original"), (after, "adversarial")):
        fig = attribution_figure(res, feature_names=info.feature_names, class_names=info.class_names, order=order,
                                 title=f"{title} on the {where} input")
        fig = heads.reword(fig, info, title, res.target, heads.attribution_words(info))
        panes.append(html.Div(graph(fig, id=f"robust-map-{where}"), className="pane"))
    return html.Div(panes, className="panes two")


def adversarial_row_table(info, result, top: int = 8):
    """The features the attack moved most (in standard deviations), in their own units."""
    x, adv, d = (np.asarray(a, np.float64).reshape(-1) for a in (result.inputs, result.adversarial,
                                                                  result.perturbation))
    order = [int(i) for i in np.argsort(-np.abs(d)) if d[i] != 0][:top]
    if not order:
        return note("The attack did not move any feature.")
    rows = [html.Tr([html.Td(info.feature_names[i]), html.Td(fmt(x[i])), html.Td(fmt(adv[i])),
                     html.Td(f"{d[i]:+.2f}")]) for i in order]
    head = html.Tr([html.Th("feature"), html.Th("row"), html.Th("adversarial row"), html.Th("change (std)")])
    return html.Table([html.Thead(head), html.Tbody(rows)], className="robust-table", id="robust-adv-row")


def counterfactual_block(cfs, info):
    """Sentences for the alternatives (the first one stressed) and a table of them all."""
    if not cfs.alternatives:
        why = " with the features left free" if cfs.fixed else ""
        return [alert(f"No change of at most {cfs.params['max_features']} features{why}, each within its observed "
                      f"range, makes the model say {cfs.goal}.", "warning")]
    first, *rest = cfs.alternatives
    items = [html.Li(cfs.sentence(c)) for c in rest]
    head = html.Tr([html.Th("#"), html.Th("changes"), html.Th("features changed"), html.Th("distance (std, L1)"),
                    html.Th("model says")])
    rows = [html.Tr([html.Td(str(k + 1)), html.Td(str(len(c.features))),
                     html.Td("; ".join(f"{cfs.feature_names[f]}: {fmt(b)} → {fmt(a)}"
                                       for f, b, a in zip(c.features, c.before, c.after))),
                     html.Td(f"{c.distance:.2f}"), html.Td(_says(cfs, c, info))])
            for k, c in enumerate(cfs.alternatives)]
    out = [html.P(cfs.sentence(first), className="robust-sentence", id="robust-sentence")]
    if items:
        out.append(html.Details([html.Summary(f"{len(items)} other way{'s' if len(items) > 1 else ''}"),
                                 html.Ul(items, className="robust-others")], open=True))
    out.append(html.Table([html.Thead(head), html.Tbody(rows)], className="robust-table", id="robust-cf-table"))
    fixed = ", ".join(cfs.feature_names[f] for f in cfs.fixed)
    out.append(note("Each value stays within what the training data holds for its feature"
                    + (f"; left alone: {fixed}." if fixed else
                       "; pick features under Keep fixed (above) to leave them as they are.")))
    return out


def _says(cfs, c, info) -> str:
    if cfs.task == "regression":
        return fmt(c.prediction)
    k = int(c.prediction)
    return f"{cfs.class_names[k]} ({100 * float(c.probabilities[k]):.0f}%)"


def adversarial_block(service, model_id, sample_id, info, result, minimal, method):
    """The attack's result: figures, the minimal ε, the maps before and after."""
    kids = []
    if info.kind == "image":
        kids.append(graph(adversarial_image_figure(result, info.class_names), id="robust-images"))
    else:
        said = "flipped" if result.reached else "held"
        kids.append(html.H4(f"Adversarial row ({result.attack.upper()}, {_norm(result.params['norm'])} ε = "
                            f"{result.params['eps']:.3g} standard deviations): the prediction {said}",
                            className="robust-head"))
        kids.append(adversarial_row_table(info, result))
    kids += [minimal_note(result, minimal), graph(probabilities_figure(result, info.class_names), id="robust-proba")]
    if method:
        kids.append(maps_side_by_side(service, model_id, sample_id, info, result, method))
    return kids
