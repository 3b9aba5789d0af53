"""ExplanationService's uploads: CSV data, TorchScript / torch.export model files and
the data files staged beside them (each delegates to its own module)."""
from __future__ import annotations

from .records import Progress


class Uploading:
    """Mixin of ExplanationService: the state it uses is set in its __init__."""

    def preview_csv(self, content: bytes, filename: str = "upload.csv"):
        from ..data.csv_upload import parse_csv

        return parse_csv(content, filename=filename)

    def add_csv_model(self, content: bytes, target: str, filename: str = "upload.csv",
                      progress: Progress | None = None, task: str | None = None) -> str:
        """task: 'classification' or 'regression' (default: what the target column allows first)."""
        from ..uploads import add_csv_model

        return add_csv_model(self, content, target, filename, progress, task)

    def add_torchscript_model(self, content: bytes, input_shape=None, class_names=None, data_from: str | None = None,
                              title: str | None = None, **data) -> str:
        from ..uploads import add_torchscript_model

        return add_torchscript_model(self, content, input_shape, class_names, data_from, title, **data)

    def add_model_file(self, content: bytes, input_shape=None, class_names=None, data_from: str | None = None,
                       title: str | None = None, data=None, task: str | None = None, feature_names=None) -> str:
        """A torch.export (.pt2: its input shape comes from the file) or TorchScript file,
        explained on `data` (upload_data.DataFile: a .npz or a CSV with a target column) when
        given; task: 'classification' or 'regression' (default: told from the outputs and
        the labels, as glimpse.show tells it)."""
        from ..model_files import add_model_file

        return add_model_file(self, content, input_shape, class_names, data_from, title, data=data, task=task,
                              feature_names=feature_names)

    def stage_data_file(self, content: bytes, filename: str):
        """Check a data file dropped beside a model file and keep it until the model comes
        (staged_data.StagedData: its key, a summary, a CSV's target columns)."""
        from ..staged_data import stage

        with self._load_lock:       # numpy's .npy header parsing is not thread-safe (see _model)
            return stage(self.store, content, filename)

    def staged_data_file(self, key: str, target: str | None = None):
        """The DataFile staged under `key` (a DataError once it is gone)."""
        from ..staged_data import staged

        return staged(self.store, key, target)
