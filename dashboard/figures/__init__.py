"""Pure figure builders: an explain_core result in, a plotly go.Figure out.

No Dash and no torch here (results are duck-typed frozen dataclasses of numpy arrays),
so every builder can be unit-tested and timed on its own.
"""
from .activations import layer_activation_figure
from .attribution import attribution_figure
from .common import DIVERGING, SEQUENTIAL, empty_figure, png_data_uri
from .lime import lime_figure
from .samples import digit_thumbnail_uri, probability_figure
from .tree import tree_figure
from .weights import layer_weights_figure

__all__ = ["DIVERGING", "SEQUENTIAL", "attribution_figure", "digit_thumbnail_uri", "empty_figure",
           "layer_activation_figure", "layer_weights_figure", "lime_figure", "png_data_uri",
           "probability_figure", "tree_figure"]
