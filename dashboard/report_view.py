"""What the exported report holds for the view on screen, from the service's results (not
from the page): the model card, the sample, and per tab its figures, captions, parameters
and quality notes. dashboard/report.py turns it into HTML."""
from __future__ import annotations

from datetime import datetime, timezone

from . import heads, ids
from .figures.common import METHOD_TITLES
from .report import Report, Section
from .sample_info import class_label, target_value

GRADIENT_CAPTION = "Which input pixels or features moved the model's score for the explained class"


def plain_text(node) -> str:
    """The words of a Dash component (a note, a details line) as one line of text."""
    if node is None:
        return ""
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, (list, tuple)):
        return " ".join(t for t in (plain_text(c) for c in node) if t)
    return plain_text(getattr(node, "children", None))


def version() -> str:
    try:
        from glimpse import __version__
        return __version__
    except ImportError:        # dashboard used without the glimpse package
        return "unknown"


def model_rows(info) -> tuple:
    rows = [("Model", f"{info.title} ({info.model_id})"), ("Data set", info.dataset_description or info.dataset),
            ("Architecture", info.architecture)]
    if heads.regression(info):
        rows.append(("Held-out R²", f"{info.r2:.3f} (mean absolute error {heads.fmt(info.mae)}) "
                                    f"on {info.n_test:,} samples" if info.r2 is not None else "not known yet"))
    else:
        rows.append(("Held-out accuracy", f"{100 * info.accuracy:.1f}% on {info.n_test:,} samples"))
    return tuple(rows)


def sample_rows(info, s, target, title: str) -> tuple:
    rows = [("Sample", title), ("Split", "held-out" if s.is_test else "training")]
    if heads.regression(info):
        rows += [(f"True {heads.target_name(info)}", heads.fmt(s.label)), ("Prediction", heads.fmt(s.prediction))]
    else:
        names = info.class_names
        if s.label is not None:
            rows.append(("True label", class_label(names, s.label) if s.label >= 0 else "unknown"))
        rows.append(("Prediction", f"{class_label(names, s.prediction)} "
                                   f"({100 * float(s.probabilities[s.prediction]):.1f}%)"))
        rows.append(("Explained class", f"{class_label(names, target)}" if target is not None else
                     "the predicted class"))
    return tuple(rows)


def shown_params(service, info, method: str, requested: dict, result) -> dict:
    """Every parameter of the method as the page set it: the request's values, the defaults
    for the others (as dashboard/params.py fills the controls), and where a default is left
    to the method (None), the value it used."""
    from .params import default_of

    image = info.kind == "image"
    out = {}
    for p in service.methods()[method].params_for(info.kind, info.input_shape):
        value = requested.get(p.name, default_of(p, image))
        out[p.name] = result.params.get(p.name, value) if value is None else value
    return out


def gradient_section(service, info, explain, method: str, params: dict, target, per_channel: bool) -> Section:
    from .figures.attribution import attribution_figure
    from .tabs.gradients import completeness_note

    result = explain(method, target=target, **params)
    title = METHOD_TITLES.get(method, method)
    fig = attribution_figure(result, feature_names=info.feature_names, class_names=info.class_names,
                             per_channel=per_channel)
    fig = heads.reword(fig, info, title, result.target, heads.attribution_words(info))
    from .figures.legend import colour_reading, unit

    delta = completeness_note(result)
    shown = shown_params(service, info, method, params, result)
    caption = (f"{GRADIENT_CAPTION}: {colour_reading(method, shown, result.attribution)}; "
               f"{unit(method, shown)}.")
    return Section(title, caption, fig, method, shown, (plain_text(delta),) if delta is not None else ())


def lime_section(service, info, explain, target, params: dict) -> Section:
    from .figures.lime import lime_figure
    from .tabs.lime import fit_note

    result = explain("lime", target=target, **params)
    fig = heads.reword(lime_figure(result, info.feature_names, class_names=info.class_names), info, "LIME",
                       result.target, heads.lime_words(info), plain=True)
    caption = ("A linear surrogate fitted to the model's probability of the explained class (a regression's predicted "
               "value) on perturbed copies of this sample: each bar (or image patch) is a signed weight.")
    kernel = {"kernel_width": float(result.extras["kernel_width"])} if "kernel_width" in result.extras else {}
    return Section("LIME", caption, fig, "lime", dict(shown_params(service, info, "lime", params, result), **kernel),
                   (plain_text(fit_note(result)), *fit_warnings(result, info)))


def fit_warnings(result, info) -> tuple:
    """The LIME tab's bad-fit and out-of-range warnings, where it has them."""
    try:
        from . import quality
        return tuple(plain_text(a) for a in quality.fit_alerts(result, info))
    except (ImportError, AttributeError):
        return ()


def tree_section(service, info, explain, depth) -> Section:
    from .figures.tree import tree_figure

    result = explain("tree", **({} if depth in (None, "") else {"max_depth": depth}))
    reg = heads.regression(info)
    def score(v):     # a regression's R², a classifier's share
        return f"{v:.3f}" if reg else f"{100 * v:.1f}%"
    scores = (("Fidelity to the network (held-out)", score(result.fidelity)),
              ("Tree accuracy (held-out)", score(result.accuracy)),
              ("Network accuracy (held-out)", score(result.network_accuracy)))
    caption = ("A decision tree trained to imitate the network's predictions; the thick path is the route this sample "
               "takes.")
    return Section("Distilled decision tree", caption, tree_figure(result), "tree", {"max_depth": result.max_depth},
                   ("Rules:\n" + result.rules,), scores)


def layer_section(service, info, explain, tab: str, layer) -> Section:
    from .figures.activations import layer_activation_figure
    from .figures.weights import layer_weights_figure
    from .tabs import layer_choice

    acts = tab == ids.TAB_ACTIVATIONS
    result = explain("activations" if acts else "weights")
    chosen = layer_choice(result.layers, layer)
    if chosen is None:
        return Section("Layer activations" if acts else "Filter weights", "This model shows no layers.")
    fig = (layer_activation_figure if acts else layer_weights_figure)(chosen)
    caption = (f"What layer {chosen.name} computes for this sample." if acts else
               f"The learned weights of layer {chosen.name}; they do not depend on the sample.")
    return Section("Layer activations" if acts else "Filter weights", caption, fig,
                   "activations" if acts else "weights", {"layer": chosen.name})


def sections(service, info, explain, tab: str, target, controls: dict) -> tuple:
    """The explanations a tab shows, with the controls' values (as the page would send them)."""
    if tab == ids.TAB_GRADIENTS:
        out = [gradient_section(service, info, explain, controls["method_a"], controls.get("params_a") or {}, target,
                                bool(controls.get("per_channel")))]
        b = controls.get("method_b")
        if b and b != ids.NO_METHOD:
            out.append(gradient_section(service, info, explain, b, controls.get("params_b") or {}, target,
                                        bool(controls.get("per_channel"))))
        return tuple(out)
    if tab == ids.TAB_LIME:
        return (lime_section(service, info, explain, target, controls.get("lime") or {}),)
    if tab == ids.TAB_TREE:
        return (tree_section(service, info, explain, controls.get("depth")),)
    if tab in (ids.TAB_ACTIVATIONS, ids.TAB_WEIGHTS):
        return (layer_section(service, info, explain, tab, controls.get("layer")),)
    return ()


def collect(service, model_id: str, sample_id, tab: str, target, controls: dict, link: str = "",
            inputs=None, now: datetime | None = None) -> Report:
    """The report of a view. inputs: an edited sample (the what-if editor) explained instead
    of the data set's row `sample_id` (which it started from)."""
    from .figures.images import image_uri
    from .figures.samples import probability_figure

    info = service.model_info(model_id)
    target = target_value(target)
    if inputs is None:
        s = service.sample(model_id, sample_id)
        x, title = s.inputs, f"#{sample_id} of {info.dataset}"

        def explain(method, **kw):
            return service.explain(model_id, sample_id, method, **kw)
    else:
        from types import SimpleNamespace
        p = service.predict_input(model_id, inputs)
        base = service.sample(model_id, sample_id) if sample_id is not None else None
        s = SimpleNamespace(inputs=inputs, label=None, prediction=p.prediction, probabilities=p.probabilities,
                            is_test=False)
        x, title = inputs, ("an edited copy of " + (f"#{sample_id}" if base is not None else "a sample") +
                            " (what-if editor)")

        def explain(method, **kw):
            return service.explain_input(model_id, inputs, method, **kw)
    regression = heads.regression(info)
    image, values = "", ()
    if info.kind == "image":
        image = image_uri(x)
    else:
        values = tuple((name, heads.fmt(v)) for name, v in zip(info.feature_names, x.reshape(-1)))
    prob_fig = None
    if not regression:
        prob_fig = probability_figure(s.probabilities, info.class_names, s.label, s.prediction)
        prob_fig.update_layout(height=max(160, 26 * len(info.class_names) + 60))
    created = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    return Report(title=f"Glimpse report: {info.title}, sample {title}", model=model_rows(info),
                  model_hash=info.hash, sample=sample_rows(info, s, target, title),
                  sections=sections(service, info, explain, tab, target, controls), version=version(),
                  created=created, link=link, sample_image=image, sample_values=values, sample_figure=prob_fig)
