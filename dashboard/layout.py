"""The page shell: header (model selector, model card), start-up progress, sample
browser and selected sample on the left, the explanation tabs on the right."""
from __future__ import annotations

from dash import dcc, html

from . import ids, precompute, sample_info, samples, server_status, upload
from .components import progress_bar
from . import link_state, share
from .tabs import activations, gradients, lime, tree, weights, whatif
from .tabs import shap as shap_tab, units as units_tab
from .tabs import layers as layers_tab, training as training_tab
from .tabs import robustness as robustness_tab, robustness_curve as robustness_curve_tab
from .tabs import architecture as architecture_tab, pruning as pruning_tab
from .tabs import errors as errors_tab
from .tabs import method_ranking as method_ranking_tab
from .tabs import attention as attention_tab

# Every tab: a module with TAB (listed in ids.TAB_NAMES), LABEL, LEVEL ("sample": why this
# sample?; "model": the model as a whole), VIEW, layout() and register_callbacks().
TAB_MODULES = (activations, weights, gradients, lime, shap_tab, tree, units_tab, whatif, training_tab, layers_tab,
               robustness_tab, robustness_curve_tab)
TAB_MODULES += (architecture_tab, pruning_tab)
TAB_MODULES += (errors_tab,)
TAB_MODULES += (method_ranking_tab,)
TAB_MODULES += (attention_tab,)
TAB_LABELS = {m.TAB: m.LABEL for m in TAB_MODULES}
TAB_LEVELS = {m.TAB: m.LEVEL for m in TAB_MODULES}
DEFAULT_TAB = ids.TAB_GRADIENTS
LEVEL_LABELS = {ids.LEVEL_SAMPLE: "This sample", ids.LEVEL_MODEL: "The whole model"}


def tab_keys() -> list:
    """[[tab, [what its view holds]], ...] in ids.TAB_NAMES order (the router's outputs)."""
    by_tab = {m.TAB: m for m in TAB_MODULES}
    return [[t, list(by_tab[t].VIEW)] for t in ids.TAB_NAMES]


def header():
    return html.Header(className="topbar", children=[
        html.Div(className="brand", children=[html.Span("Glimpse", className="brand-name"),
                                              html.Span("why did the model say that?", className="brand-tag")]),
        html.Div(id=ids.HEADER_CONTROLS, className="header-controls", style={"display": "none"}, children=[
            html.Label(["Model", dcc.Dropdown(id=ids.MODEL_SELECT, clearable=False, searchable=False,
                                              placeholder="loading models…", className="model-select")],
                       className="model-picker"),
            html.Div(id=ids.MODEL_CARD, className="model-card"),
            html.Button("Precompute…", id=ids.PRECOMPUTE_TOGGLE, className="btn btn-header",
                        title="Compute explanations for every sample of this model now, so clicks are instant"),
            html.Button("+ Add a model", id=ids.UPLOAD_TOGGLE, className="btn btn-header",
                        title="Train a model on your CSV table, or add a model file (torch.export .pt2 or TorchScript)"),
        ]),
        server_status.notice(),
    ])


def startup_panel():
    return html.Div(id=ids.STARTUP, className="startup card", children=[
        html.H2("Preparing the models"),
        html.P("The first start trains the default models (about a minute); later starts only load them.",
               className="muted"),
        progress_bar(ids.STARTUP_BAR, ids.STARTUP_TEXT, 0.0, "Starting…"),
        dcc.Interval(id=ids.STARTUP_INTERVAL, interval=250),
    ])


def level_switch():
    """'This sample' / 'The whole model': which level's tab headers show (assets/clientside.js
    `level`); absent while no model-level tab exists."""
    levels = [lv for lv in LEVEL_LABELS if lv in TAB_LEVELS.values()]
    return dcc.RadioItems(id=ids.LEVEL, value=ids.LEVEL_SAMPLE, inline=True, className="level-switch",
                          options=[{"label": LEVEL_LABELS[lv], "value": lv} for lv in levels],
                          style=None if len(levels) > 1 else {"display": "none"})


def tabs():
    return html.Main(className="content", children=[
        html.Div(className="content-head", children=[
            level_switch(),
            sample_info.target_picker(),
            html.Span("Every tab explains this class; activations and weights do not depend on it.",
                      id=ids.TARGET_NOTE, className="muted"),
            share.layout(),
        ]),
        dcc.Tabs(id=ids.TABS, value=DEFAULT_TAB, className="tabs", parent_className=f"level-{ids.LEVEL_SAMPLE}",
                 children=[dcc.Tab(label=TAB_LABELS[t], value=t, className=f"tab tab--{TAB_LEVELS[t]}",
                                   selected_className="tab--selected") for t in ids.TAB_NAMES]),
        dcc.Store(id=ids.TAB_LEVELS, data=TAB_LEVELS),
        dcc.Store(id=ids.LEVEL_TABS, data={ids.LEVEL_SAMPLE: DEFAULT_TAB}),
        html.Div([m.layout() for m in TAB_MODULES], className="panels"),
        # what each tab shows; the page's router updates only the visible tab's
        dcc.Store(id=ids.TAB_KEYS, data=tab_keys()),
        *[dcc.Store(id=ids.view(m.TAB)) for m in TAB_MODULES],
        *[dcc.Store(id=ids.drawn(m.TAB)) for m in TAB_MODULES],
    ])


def startup_notices(notices) -> list:
    """Problems found while the server started (a model-list entry that could not be loaded),
    one line each, above the page; nothing when there are none."""
    if not notices:
        return []
    n = len(notices)
    return [html.Details(open=True, className="card startup-notices", role="alert", children=[
        html.Summary(f"{n} entr{'y' if n == 1 else 'ies'} of the model list could not be loaded; the other models "
                     "are here"),
        html.Ul([html.Li(text) for text in notices])])]


def layout(notices=()):
    return html.Div(className="app", children=[
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.STATE),
        dcc.Store(id=ids.SELECT),
        dcc.Store(id=ids.MODEL),
        dcc.Store(id=ids.URL_APPLIED, data=False),
        dcc.Store(id=ids.READY, data=False),
        *link_state.stores(),
        header(),
        html.Div(id=ids.PAGE_MESSAGE, className="page-message", **{"aria-live": "polite"}),
        *startup_notices(notices),
        startup_panel(),
        html.Div(id=ids.MAIN, className="main", style={"display": "none"}, children=[
            upload.layout(),
            precompute.layout(),
            html.Div(className="body", children=[
                # the selected sample first: it shows without scrolling, above the browser
                html.Aside([sample_info.layout(), samples.layout()], className="sidebar"),
                tabs(),
            ]),
        ]),
    ])
