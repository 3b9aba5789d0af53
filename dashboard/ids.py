"""Every component id of the page, in one place (tests and e2e tests import these)."""

# page shell
URL = "url"
STATE = "view-state"                 # dcc.Store {"model": id, "sample": int}: the selection
SELECT = "selection-request"         # dcc.Store: a selection the server made (link, picker, prev/next)
URL_APPLIED = "url-applied"          # dcc.Store bool: the deep link has been read
READY = "ready"                      # dcc.Store bool: models are loaded
STARTUP = "startup"                  # the start-up panel (progress while models train)
STARTUP_BAR = "startup-bar"
STARTUP_TEXT = "startup-text"
STARTUP_INTERVAL = "startup-interval"
MAIN = "main"                        # everything else; hidden until READY
MODEL = "model-id"                   # dcc.Store: the selected model id (changes only with the model)
TAB_KEYS = "tab-keys"                # dcc.Store [[tab, [what its view holds]], ...] for the clientside router
PAGE_MESSAGE = "page-message"        # a refused request or a failed callback says so here (dashboard/errors.py)

# header
HEADER_CONTROLS = "header-controls"   # model picker, card and upload button; shown once READY
MODEL_SELECT = "model-select"
MODEL_CARD = "model-card"

# sample browser
FILTER_TRUE = "filter-true"
FILTER_PRED = "filter-pred"
FILTER_FLAGS = "filter-flags"        # checklist: "misclassified", "test"
MISCLASSIFIED = "misclassified"
HELD_OUT = "test"
PAGE = "page"                        # dcc.Store int
PAGE_PREV = "page-prev"
PAGE_NEXT = "page-next"
PAGE_LABEL = "page-label"
PAGER = "pager"                      # the image browser's pager (a table pages with the DataTable's own)
PAGE_JUMP = "page-jump"              # number input: go to page n (counted from 1)
OUTPUTS_POLL = "outputs-poll"        # dcc.Interval: on while a large data set's predictions are computed
SAMPLE_PREV = "sample-prev"
SAMPLE_NEXT = "sample-next"
THUMB_GRID = "thumb-grid"
THUMB = "thumb"                      # pattern id type: {"type": THUMB, "index": sample_id}
THUMB_RING = "thumb-ring"            # the ring over the selected thumbnail (inside THUMB_GRID)
TABLE_WRAP = "sample-table-wrap"
SAMPLE_TABLE = "sample-table"
BROWSER_COUNT = "browser-count"
HIDDEN_SELECTION = "hidden-selection"   # inside BROWSER_COUNT: the filters leave the selected sample out
SELECTION_ALERT = "selection-alert"
BROWSER_SHOWN = "browser-shown"      # dcc.Store {"model", "kind", "ids"}: what the browser lists now
FOLLOW = "browser-follow"            # dcc.Store {"model", "sample"}: show the page holding this sample

# selected sample
SAMPLE_INFO = "sample-info"
SAMPLE_TRUE = "sample-true"       # the true label inside SAMPLE_INFO
SAMPLE_PRED = "sample-pred"       # the predicted label inside SAMPLE_INFO
PROBA_GRAPH = "proba-graph"
PROBA_HEAD = "proba-head"            # the line above PROBA_GRAPH (class probabilities, or a regression's value)
SAMPLE_VALUES = "sample-values"      # a table row's own feature values, inside SAMPLE_INFO
SAMPLE_ERROR = "sample-error"        # a regression sample's prediction − true value, inside SAMPLE_INFO
SAMPLE_WHICH = "sample-which"        # "#12 (held-out data)", inside SAMPLE_INFO
SAMPLE_PROB = "sample-prob"          # the prediction's probability, inside SAMPLE_INFO
SAMPLE_IMG = "sample-img"            # the image sample, inside SAMPLE_INFO
SAMPLE_DRAWN = "sample-drawn"        # dcc.Store: the skeleton SAMPLE_INFO shows (components.redraw)
# the address beyond model/sample/tab/methods (dashboard/link_state.py)
LINK_INITIAL = "link-initial"        # dcc.Store: the address the page was opened with
LINK_TODO = "link-todo"              # dcc.Store: what that address asks the controls for
LINK_EXTRAS = "link-extras"          # dcc.Store {key: value}: the controls, for the address (assets/link.js)
LINK_DEFAULTS = "link-defaults"      # dcc.Store: each control's default for the model (left out of the address)
TARGET = "target-select"
TARGET_NOTE = "target-note"          # beside TARGET: what the tabs explain for this model's head
PREDICTED = "predicted"              # TARGET value meaning "the predicted class"

# tabs
TABS = "tabs"
LEVEL = "page-level"                 # RadioItems: which level's tabs show ("sample" or "model")
LEVEL_SAMPLE, LEVEL_MODEL = "sample", "model"
LEVEL_TABS = "level-tabs"            # dcc.Store {level: the tab last shown at that level}
TAB_LEVELS = "tab-levels"            # dcc.Store {tab: its level} for the clientside level switch
TAB_ACTIVATIONS = "activations"
TAB_WEIGHTS = "weights"
TAB_GRADIENTS = "gradients"
TAB_LIME = "lime"
TAB_TREE = "tree"
TAB_ERRORS = "errors"                # model view: errors and bias
TAB_WHATIF = "whatif"                # what if: draw a digit or edit the row (dashboard/tabs/whatif.py)
TAB_SHAP = "shap"                    # KernelSHAP beside LIME (dashboard/tabs/shap.py)
TAB_UNITS = "units"                  # unit contributions of the last dense layer (dashboard/tabs/units.py)
TAB_TRAINING = "training"            # model view: training history (dashboard/tabs/training.py)
TAB_LAYERS = "layers"                # model view: weights, activations, gradients per layer now (tabs/layers.py)
TAB_ROBUST = "robustness"           # adversarial example, minimal ε, counterfactuals (tabs/robustness.py)
TAB_ROBUST_CURVE = "robustness-curve"   # model view: held-out accuracy against ε (tabs/robustness_curve.py)
TAB_NAMES = (TAB_ACTIVATIONS, TAB_WEIGHTS, TAB_GRADIENTS, TAB_LIME, TAB_SHAP, TAB_TREE, TAB_UNITS, TAB_WHATIF,
             TAB_ERRORS, TAB_TRAINING, TAB_LAYERS, TAB_ROBUST, TAB_ROBUST_CURVE)
# the architecture graph and the pruning what-if (dashboard/tabs/architecture.py, pruning.py)
TAB_ARCH = "architecture"
TAB_PRUNING = "pruning"
TAB_NAMES += (TAB_ARCH, TAB_PRUNING)
TAB_METHOD_RANKING = "method-ranking"   # model view: which method to trust on this model (tabs/method_ranking.py)
TAB_NAMES += (TAB_METHOD_RANKING,)
TAB_ATTENTION = "attention"          # per sample: attention per layer × head and rollout (tabs/attention.py)
TAB_NAMES += (TAB_ATTENTION,)
ATTN_LAYER = "attn-layer"            # dropdown: the layer whose full token × token matrix is shown
ATTN_HEAD = "attn-head"              # dropdown: its head, or the heads' mean (-1)
ATTN_FUSION = "attn-fusion"          # dropdown: how rollout fuses each layer's heads (mean, max, min)
ATTN_CONTROLS = "attn-controls"      # div around the three: hidden for a model without attention
ARCH_GRAPH = "arch-graph"            # dash-cytoscape graph; a click on a layer opens its activations
PRUNE_LAYER = "prune-layer"          # dropdown: the layer to prune
PRUNE_HOW = "prune-how"              # radio: magnitude, activity, hand
PRUNE_K = "prune-k"                  # number: how many units (magnitude, activity)
PRUNE_UNITS = "prune-units"          # dropdown (multi): the units picked by hand
PRUNE_UNIT_BARS = "prune-unit-bars"  # bar chart of every unit's score: a click adds/removes it by hand
PRUNE_CURVE_START = "prune-curve-start"   # button: compute the accuracy-vs-fraction curve (background job)
PRUNE_CURVE = "prune-curve"          # where the curve (or its progress) shows
PRUNE_CURVE_BAR = "prune-curve-bar"
PRUNE_CURVE_TEXT = "prune-curve-text"


def panel(tab: str) -> str:
    return f"panel-{tab}"


def view(tab: str) -> str:
    """The dcc.Store holding what a tab shows ({"model", "sample", "target"} as it depends
    on them); only the visible tab's view is updated, so only it renders."""
    return f"view-{tab}"


def drawn(tab: str) -> str:
    """The dcc.Store with the skeleton of what a tab's output shows (components.redraw)."""
    return f"drawn-{tab}"


def loading(tab: str) -> str:
    """The dcc.Loading around a tab's output (its spinner says what is computed)."""
    return f"loading-{tab}"


def output(tab: str) -> str:
    """The div each tab renders its figures into."""
    return f"out-{tab}"


ACT_LAYER = "act-layer"
ALL_LAYERS = "__all__"
WEIGHT_LAYER = "weight-layer"
WEIGHT_VIEW = "weight-view"            # radio: strongest units / one unit / whole layer (tabs/weights.py)
WEIGHT_UNIT = "weight-unit"            # number: the unit drawn in the shape of its inputs
WEIGHT_PER_UNIT = "weight-per-unit"    # div around the two above: shown for layers whose rows have a shape
WEIGHT_UNITS = "weight-units"          # span: the layer's unit numbers ("of 0–63") beside WEIGHT_UNIT
METHOD_A = "method-a"
METHOD_B = "method-b"
NO_METHOD = "none"
PARAMS_A = "params-a"
PARAMS_B = "params-b"
PARAM = "param"                      # pattern id: {"type": PARAM, "slot": "a"|"b", "method": m, "name": p}
GRAD_CHANNELS = "grad-channels"      # checklist: ["each"] draws an RGB map per channel
GRAD_CHANNELS_WRAP = "grad-channels-wrap"   # shown for models of more than one input channel
LIME_SAMPLES = "lime-samples"
LIME_KERNEL = "lime-kernel"
LIME_PATCH = "lime-patch"            # image models: the side of LIME's square patches (pixels)
LIME_PATCH_WRAP = "lime-patch-wrap"  # shown for image models only
TREE_DEPTH = "tree-depth"
SHAP_PARAMS = "shap-params"            # KernelSHAP's parameter controls (ids.PARAM pattern ids, slot "shap")
UNITS_BARS = "units-bars"              # the unit contributions bar chart (a bar click picks a unit)
UNITS_UNIT = "units-unit"              # dcc.Store: the unit picked (int)
UNITS_TOP = "units-top"                # what the picked unit responds to: its top-activating held-out samples
UNITS_OPEN = "units-open"              # pattern id type: a top-activating sample ({"type", "index": sample})
# training history and layers now (dashboard/tabs/training.py, layers.py)
TRAIN_LAYER = "training-layer"         # dropdown: the layer whose ridgeline shows
TRAIN_KIND = "training-kind"           # radio: weights, activations, gradients (biases for a final state)
TRAIN_LOG = "training-log"             # checklist ["log"]: ridge heights as log(1 + count)
TRAIN_NOTE = "training-note"           # where the history comes from
TRAIN_LOSS = "training-loss"
TRAIN_SCORE = "training-score"
TRAIN_RIDGES = "training-ridges"
LAYERS_PICK = "layers-pick"            # dropdown: the layer whose histograms show
LAYERS_LOG = "layers-log"              # checklist ["log"]: counts on a log axis
LAYERS_TABLE = "layers-table"          # pattern id type: the DataTable of layers; a click on a row picks it
LAYERS_FIGURE = "layers-figure"
LAYERS_SUMMARY = "layers-summary"
# errors and bias (dashboard/tabs/errors.py)
ERR_NORMALISE = "errors-normalise"       # radio: the confusion matrix as counts or as each row's share
ERR_FEATURE = "errors-feature"           # dropdown: the feature the slice chart bins (tables)
ERR_FEATURE_WRAP = "errors-feature-wrap"
ERR_NOTE = "errors-note"                 # what a confusion-cell click did to the browser
ERR_CONFUSION = "errors-confusion"       # pattern id type: the confusion heatmap ({"type", "index": 0})
ERR_MISTAKE = "errors-mistake"           # pattern id type: a mistake's thumbnail ({"type", "index": sample})
ERR_MISTAKES_TABLE = "errors-mistakes"   # pattern id type: the table of mistakes (tabular models)
ERR_FIT = "errors-fit"
ERR_RELIABILITY = "errors-reliability"
ERR_SLICES = "errors-slices"
ERR_RESIDUALS = "errors-residuals"
QUALITY_RUN = "quality-run"              # button: the map's quality scores (dashboard/quality.py)
QUALITY_OUT = "quality-output"
QUALITY_TABLE_RUN = "quality-table-run"  # button: every method ranked for this sample
QUALITY_TABLE_OUT = "quality-table-output"
QUALITY_LIME_RUN = "quality-lime-run"    # button: LIME over 5 seeds (its spread)
QUALITY_LIME_OUT = "quality-lime-output"
QUALITY_SHAP_RUN = "quality-shap-run"    # button: KernelSHAP over 5 seeds (its spread; tabs/shap.py)
QUALITY_SHAP_OUT = "quality-shap-output"

# upload
UPLOAD_PANEL = "upload-panel"
UPLOAD_TOGGLE = "upload-toggle"      # header button that shows/hides UPLOAD_PANEL
UPLOAD_CLOSE = "upload-close"
CSV_UPLOAD = "csv-upload"
CSV_PREVIEW = "csv-preview"
CSV_TARGET = "csv-target"
CSV_TASK = "csv-task"                # radio: classification / regression for the chosen target
CSV_TASK_HINT = "csv-task-hint"      # why a task is (not) offered for the chosen target
CSV_TASKS = "csv-tasks"              # dcc.Store {column: [tasks]} of the previewed CSV
CSV_TRAIN = "csv-train"
CSV_PROGRESS = "csv-progress"        # wrapper shown while training
CSV_PROGRESS_BAR = "csv-progress-bar"
CSV_PROGRESS_TEXT = "csv-progress-text"
CSV_MESSAGE = "csv-message"
CSV_ADDED = "csv-added"              # dcc.Store: id of the model trained from the CSV
TS_UPLOAD = "ts-upload"
TS_FILENAME = "ts-filename"
TS_SHAPE = "ts-shape"
TS_CLASSES = "ts-classes"
TS_DATA = "ts-data"
TS_ADD = "ts-add"
TS_MESSAGE = "ts-message"
TS_ADDED = "ts-added"                # dcc.Store: id of the TorchScript model added
TS_DATA_UPLOAD = "ts-data-upload"    # dropzone: the data file to explain the model file on (.npz or .csv)
TS_DATA_STATUS = "ts-data-status"    # what the data file holds, or why it cannot be used
TS_DATA_KEY = "ts-data-key"          # dcc.Store: the staged data file's key (explain_core/staged_data.py)
TS_DATA_CLEAR = "ts-data-clear"      # button: forget the data file
TS_TARGET = "ts-target"              # a CSV data file's target column
TS_TARGET_WRAP = "ts-target-wrap"    # shown for a CSV data file only
TS_TASK = "ts-task"                  # radio: told from the outputs / classification / regression
TS_FEATURES = "ts-features"          # feature names of a .npz table (optional)

# precompute (a background job over every sample of the selected model)
PRECOMPUTE_TOGGLE = "precompute-toggle"    # header button that shows/hides PRECOMPUTE_PANEL
PRECOMPUTE_PANEL = "precompute-panel"
PRECOMPUTE_CLOSE = "precompute-close"
PRECOMPUTE_METHODS = "precompute-methods"
PRECOMPUTE_START = "precompute-start"
PRECOMPUTE_CANCEL = "precompute-cancel"
PRECOMPUTE_BAR = "precompute-bar"
PRECOMPUTE_TEXT = "precompute-text"
PRECOMPUTE_MESSAGE = "precompute-message"
PRECOMPUTE_NOTE = "precompute-note"
PRECOMPUTE_POLL = "precompute-poll"          # dcc.Interval, enabled while a job runs

# server status (dashboard/server_status.py)
SERVER_NOTICE = "server-notice"              # header notice: shared cache down, a queued long computation
SERVER_POLL = "server-poll"                  # dcc.Interval that refreshes it

# share and export (dashboard/share.py), presentation mode, the what-if editor (dashboard/whatif*.py)
SHARE_BAR = "share-bar"
SHARE_REPORT = "share-report"                # button: download the view as a self-contained HTML report
SHARE_PNG = "share-png"                      # button: the visible tab's first figure as a PNG (in the browser)
SHARE_COPY = "share-copy"                    # button: copy the page's address
SHARE_PRESENT = "share-present"              # button: presentation mode
SHARE_STATUS = "share-status"                # what the last share action did
SHARE_DOWNLOAD = "share-download"            # dcc.Download of the report
PRESENT = "present-state"                    # dcc.Store {"on", "model", "samples", "at"}: presentation mode
PRESENT_KEY = "present-key"                  # dcc.Store: the last key pressed while presenting (assets/present.js)
PRESENT_BADGE = "present-badge"              # "Sample 2 of 3 · ← → step · Esc leaves"
WHATIF_INPUT = "whatif-input"                # dcc.Store {"model", "sample", "values": [...]}: the edited sample

# Not in the first layout: pattern-id types (their components come with a tab's output, so
# their callbacks match ALL of them) and ids of what a render callback draws, and values.
RENDERED = frozenset({
    ARCH_GRAPH, ERR_CONFUSION, ERR_FIT, ERR_MISTAKE, ERR_MISTAKES_TABLE, ERR_RELIABILITY, ERR_RESIDUALS, ERR_SLICES,
    HIDDEN_SELECTION, LAYERS_FIGURE, LAYERS_SUMMARY, LAYERS_TABLE, PRUNE_UNIT_BARS, SAMPLE_VALUES, TRAIN_LOSS,
    SAMPLE_WHICH, SAMPLE_PROB, SAMPLE_IMG,
    TRAIN_NOTE, TRAIN_RIDGES, TRAIN_SCORE, UNITS_BARS, UNITS_OPEN, UNITS_UNIT, LEVEL_MODEL, LEVEL_SAMPLE,
})
