"""Glimpse's computation half: data, models, explanation methods and the service.

Never imports dash or plotly; no torch tensor leaves it (results are numpy).
"""
from .config import Settings
from .errors import (DataError, GlimpseError, ModelError, ModelFileError, ParameterError, TargetError,
                     UnknownIdError, UnsupportedError)
from .service import ExplanationService, ModelInfo, Sample, SampleTable

__all__ = ["Settings", "ExplanationService", "ModelInfo", "Sample", "SampleTable", "GlimpseError",
           "DataError", "ModelError", "ModelFileError", "ParameterError", "TargetError", "UnknownIdError",
           "UnsupportedError"]
