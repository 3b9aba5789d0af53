"""A team's model list (--models FILE / GLIMPSE_MODELS): good entries load, each bad one gives
one clear message (logged, in service.notices, on the page) and the others still load."""
from __future__ import annotations

import logging
import textwrap
import uuid

import numpy as np
import pytest
import torch
from torch import nn

from explain_core import ExplanationService, Settings
from explain_core.model_list import load_model_list
from explain_core.models.normalised import Normalised
from tests.model_files import pt2_bytes, residual_cnn, script_bytes

FACTORY = '''
import torch
from torch import nn


def make_mlp(hidden=8, classes=3):
    return nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def broken():
    raise RuntimeError("the factory's own bug")
'''


@pytest.fixture
def team(tmp_path, settings):
    """A folder with a factory module (unique name per test), its weights, table data and a
    .pt2; and a fresh service."""
    package = f"teamnets_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{package}.py").write_text(FACTORY)
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    torch.save(mlp.state_dict(), tmp_path / "mlp.pt")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4)).astype(np.float32)
    np.savez(tmp_path / "table.npz", X=X, y=rng.integers(0, 3, 80))
    np.save(tmp_path / "unlabelled.npy", X)
    (tmp_path / "resnet.pt2").write_bytes(pt2_bytes(residual_cnn()))
    svc = ExplanationService(Settings(model_store=tmp_path / "m", cache_dir=settings.cache_dir, cache_type="simple"),
                             specs=())
    return svc, tmp_path, package, mlp, X


def write(folder, text: str):
    path = folder / "models.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_two_good_entries_load_and_two_bad_ones_give_one_message_each(team, caplog):
    svc, folder, package, mlp, X = team
    path = write(folder, f"""
        models:
          - title: ResNet (exported)
            file: resnet.pt2
            data: mnist
          - id: team-mlp
            title: Team MLP
            factory: {package}:make_mlp
            args: {{hidden: 8}}
            weights: mlp.pt
            data: {{npz: table.npz}}
            class_names: [low, mid, high]
            feature_names: [a, b, c, d]
          - title: Missing file
            file: models/not-there.pt2
            data: mnist
          - title: Bad factory
            factory: {package}:no_such_function
            data: {{npz: table.npz}}
        """)
    with caplog.at_level(logging.WARNING, logger="glimpse.model_list"):
        problems = load_model_list(svc, path)
    assert len(problems) == 2 and problems == svc.notices
    assert problems[0].startswith("Model list models.yaml, entry 3 (missing-file): the model file ")
    assert "not-there.pt2 cannot be read" in problems[0]
    assert problems[1] == (f"Model list models.yaml, entry 4 (bad-factory): factory {package}:no_such_function: "
                           f"cannot import it (AttributeError: module '{package}' has no attribute "
                           "'no_such_function').")
    assert [r.getMessage() for r in caplog.records] == problems
    assert svc.model_ids() == ["resnet-exported", "team-mlp"]
    resnet, team_mlp = svc.model_info("resnet-exported"), svc.model_info("team-mlp")
    assert resnet.source == team_mlp.source == "model-list"
    assert resnet.conv_layers == ("conv1", "block.0")
    assert resnet.architecture.startswith("ResidualCNN: Conv2d×2, BatchNorm2d×2")
    assert team_mlp.class_names == ("low", "mid", "high") and team_mlp.feature_names == ("a", "b", "c", "d")
    # the factory's model holds the state_dict's weights
    want = mlp(torch.as_tensor(X)).argmax(1).numpy()
    np.testing.assert_array_equal(svc.samples("team-mlp").predictions, want)
    assert svc.explain("team-mlp", 0, "integrated_gradients").attribution.shape == (4,)
    assert svc.explain("resnet-exported", 0, "gradcam", layer="block.0").attribution.shape == (1, 28, 28)


@pytest.mark.parametrize("entry, message", [
    ("{file: resnet.pt2}", "data is missing"),
    ("{file: resnet.pt2, data: mnist, wieghts: x}", "unknown setting(s) wieghts"),
    ("{file: resnet.pt2, factory: 'a:b', data: mnist}", "give either file"),
    ("{factory: 'not a factory', data: mnist}", "is not of the form package.module:function"),
    ("{factory: '{package}:broken', data: mnist}", "failed (RuntimeError: the factory's own bug)"),
    ("{factory: '{package}:make_mlp', weights: nothere.pt, data: {npz: table.npz}}", "nothere.pt does not exist"),
    ("{factory: '{package}:make_mlp', weights: pickled.pt, data: {npz: table.npz}}",
     "cannot be loaded with torch.load(weights_only=True)"),
    ("{factory: '{package}:make_mlp', args: {hidden: 5}, weights: mlp.pt, data: {npz: table.npz}}",
     "do not fit the factory's model (other shape: 0.weight, 0.bias, 2.weight"),
    ("{factory: '{package}:make_mlp', data: mnist}", "The model fails on a batch of"),      # wrong input shape
    ("{file: resnet.pt2, data: {npz: table.npz}}", r"takes inputs of shape (1, 28, 28), but the data"),
    ("{file: resnet.pt2, data: {builtin: cifar}}", "Unknown built-in data set 'cifar'"),
    ("{file: resnet.pt2, data: {npz: objects.npz}}", "Python objects are never unpickled"),
    ("{file: resnet.pt2, data: mnist, task: forecasting}", "task must be classification or regression"),
    ("{file: resnet.pt2, data: mnist, normalize: {mean: [1, 2]}}", "normalize must have mean and std"),
    ("{file: resnet.pt2, data: mnist, normalize: {mean: [1, 2], std: 1}}", "must be one number or 1"),
    ("{file: model.ts, data: {npy: unlabelled.npy}}", "give class_names or labels"),
    ("{id: 'Bad Id!', file: resnet.pt2, data: mnist}", "must be lower-case letters"),
])
def test_each_bad_entry_is_one_clear_message(team, entry, message):
    svc, folder, package, _, _ = team
    torch.save({"evil": object()}, folder / "pickled.pt") if "pickled" in entry else None
    np.savez(folder / "objects.npz", X=np.array([{"a": 1}], dtype=object)) if "objects" in entry else None
    (folder / "model.ts").write_bytes(script_bytes(nn.Linear(4, 3))) if "model.ts" in entry else None
    path = write(folder, f"""
        models:
          - {entry.replace("{package}", package)}
          - {{id: good, factory: '{package}:make_mlp', data: {{npz: table.npz}}}}
        """)
    problems = load_model_list(svc, path)
    assert len(problems) == 1 and message in problems[0], problems
    assert problems[0].startswith("Model list models.yaml, entry 1")
    assert svc.model_ids() == ["good"]                 # the other entry still loads


def test_a_file_that_is_not_a_list_is_one_message(team):
    svc, folder, *_ = team
    assert load_model_list(svc, write(folder, "models: {a: 1}")) == [
        f"Model list {folder / 'models.yaml'}: it must hold a list of models (a top-level `models:` list)."]
    assert "is not valid YAML" in load_model_list(svc, write(folder, "models: [a: b: c]"))[0]
    assert "cannot read it" in load_model_list(svc, folder / "nothere.yaml")[0]
    assert svc.model_ids() == []


def test_normalisation_is_inside_the_model_and_maps_are_in_raw_inputs(team):
    svc, folder, package, mlp, X = team
    path = write(folder, f"""
        - id: normalised
          factory: {package}:make_mlp
          weights: mlp.pt
          data: {{npz: table.npz}}
          normalize: {{mean: [1, 2, 3, 4], std: [2, 2, 4, 4]}}
        """)
    assert load_model_list(svc, path) == []
    module = svc.torch_model("normalised")
    assert isinstance(module, Normalised) and [n for n, _ in module.named_modules()][1:] == ["0", "1", "2"]
    mean, std = torch.tensor([1., 2, 3, 4]), torch.tensor([2., 2, 4, 4])
    x = torch.as_tensor(X[:5])
    np.testing.assert_allclose(module(x).detach().numpy(), mlp((x - mean) / std).detach().numpy(), atol=1e-6)
    assert any("normalised inside the model" in n for n in svc.model_info("normalised").notes)
    # saliency in raw inputs: d f((x - m) / s) / dx = f'(z) / s
    got = svc.explain("normalised", 2, "saliency", abs=False, target=1)
    z = ((x[2] - mean) / std).unsqueeze(0).requires_grad_(True)
    (grad,) = torch.autograd.grad(mlp(z)[0, 1], z)
    np.testing.assert_allclose(got.attribution, (grad[0] / std).numpy(), rtol=1e-5, atol=1e-7)


def test_unlabelled_arrays_take_the_models_answers(team):
    svc, folder, package, mlp, X = team
    path = write(folder, f"- {{id: u, factory: '{package}:make_mlp', weights: mlp.pt, data: {{npy: unlabelled.npy}}}}")
    assert load_model_list(svc, path) == []
    info = svc.model_info("u")
    assert np.isnan(info.accuracy) and info.class_names == ("0", "1", "2")
    np.testing.assert_array_equal(svc.samples("u").labels, mlp(torch.as_tensor(X)).argmax(1).numpy())


def test_a_celery_worker_loads_listed_models_only_when_asked(team):
    svc, folder, package, _, _ = team
    path = write(folder, f"- {{id: later, factory: '{package}:make_mlp', data: {{npz: table.npz}}}}")
    assert load_model_list(svc, path, lazy=True) == []
    assert "later" not in svc.model_ids()              # nothing ran yet
    assert svc.model_info("later").source == "model-list"


def test_the_flag_and_the_setting_name_the_list(tmp_path):
    from glimpse.cli import parse_args

    assert parse_args(["--models", "team.yaml"], env={}).models == "team.yaml"
    assert parse_args([], env={"GLIMPSE_MODELS": "/etc/glimpse/models.yaml"}).models == "/etc/glimpse/models.yaml"
    assert parse_args([], env={}).models is None


def test_the_page_lists_the_problems_above_everything(team):
    from dashboard import create_app

    svc, *_ = team
    svc.notices.extend(["Model list m.yaml, entry 2 (x): it broke."])
    app = create_app(svc, start=False)
    texts = []

    def walk(c):
        if isinstance(c, str):
            texts.append(c)
        for child in (c.children if isinstance(getattr(c, "children", None), (list, tuple))
                      else [getattr(c, "children", None)] if getattr(c, "children", None) is not None else []):
            walk(child)
    walk(app.layout)
    assert "1 entry of the model list could not be loaded; the other models are here" in texts
    assert "Model list m.yaml, entry 2 (x): it broke." in texts


def test_the_readme_example_uses_only_settings_the_loader_knows():
    import re
    from pathlib import Path

    import yaml

    from explain_core.model_list import KEYS
    from explain_core.model_list_data import DATA_KEYS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Your models in a list", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)[1]
    entries = yaml.safe_load(example)["models"]
    assert len(entries) == 4
    for entry in entries:
        assert set(entry) <= KEYS and ("file" in entry) != ("factory" in entry)
        assert isinstance(entry["data"], str) or set(entry["data"]) <= DATA_KEYS
