"""Errors a user can cause. Their message is shown to the user as it is."""


class GlimpseError(Exception):
    """Base class: something the user did or gave that we cannot use."""


class DataError(GlimpseError):
    """A data file or uploaded table we cannot use (message names file/column/row)."""


class UnknownIdError(GlimpseError, KeyError):
    """An unknown model id, sample id or method name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class TargetError(GlimpseError, ValueError):
    """A target class outside the model's outputs."""


class ModelFileError(GlimpseError):
    """A user's model file that cannot be loaded or does not fit its input shape."""


class ParameterError(GlimpseError, ValueError):
    """A method parameter outside its allowed range."""


class ModelError(GlimpseError):
    """A model handed over in Python (glimpse.show, glimpse.explain) that fails on its data:
    it raises, returns NaN, or its outputs do not fit the labels or class names."""


class UnsupportedError(GlimpseError, NotImplementedError):
    """Something Glimpse does not handle yet (a regression head, an input shape); the
    message says what and what is supported."""
