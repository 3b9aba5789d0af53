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
SELECTION_ALERT = "selection-alert"
BROWSER_SHOWN = "browser-shown"      # dcc.Store {"model", "kind", "ids"}: what the browser lists now
FOLLOW = "browser-follow"            # dcc.Store {"model", "sample"}: show the page holding this sample

# selected sample
SAMPLE_INFO = "sample-info"
SAMPLE_TRUE = "sample-true"       # the true label inside SAMPLE_INFO
SAMPLE_PRED = "sample-pred"       # the predicted label inside SAMPLE_INFO
PROBA_GRAPH = "proba-graph"
PROBA_HEAD = "proba-head"            # the line above PROBA_GRAPH (class probabilities, or a regression's value)
SAMPLE_ERROR = "sample-error"        # a regression sample's prediction − true value, inside SAMPLE_INFO
TARGET = "target-select"
TARGET_NOTE = "target-note"          # beside TARGET: what the tabs explain for this model's head
PREDICTED = "predicted"              # TARGET value meaning "the predicted class"

# tabs
TABS = "tabs"
TAB_ACTIVATIONS = "activations"
TAB_WEIGHTS = "weights"
TAB_GRADIENTS = "gradients"
TAB_LIME = "lime"
TAB_TREE = "tree"
TAB_NAMES = (TAB_ACTIVATIONS, TAB_WEIGHTS, TAB_GRADIENTS, TAB_LIME, TAB_TREE)


def panel(tab: str) -> str:
    return f"panel-{tab}"


def view(tab: str) -> str:
    """The dcc.Store holding what a tab shows ({"model", "sample", "target"} as it depends
    on them); only the visible tab's view is updated, so only it renders."""
    return f"view-{tab}"


def drawn(tab: str) -> str:
    """The dcc.Store with the skeleton of what a tab's output shows (components.redraw)."""
    return f"drawn-{tab}"


def output(tab: str) -> str:
    """The div each tab renders its figures into."""
    return f"out-{tab}"


ACT_LAYER = "act-layer"
ALL_LAYERS = "__all__"
WEIGHT_LAYER = "weight-layer"
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
