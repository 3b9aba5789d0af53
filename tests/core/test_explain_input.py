"""service.explain_input / predict_input: an arbitrary input explained like a data set row."""
import numpy as np
import pytest

from explain_core.errors import DataError, ParameterError, TargetError
from explain_core.inputs import check_input, input_key, observed_range


@pytest.mark.parametrize("model_id,sample", [("mnist-cnn", 3), ("wine-mlp", 5), ("diabetes-mlp", 2)])
def test_a_data_row_given_as_an_input_gets_the_rows_answers(service, model_id, sample):
    s = service.sample(model_id, sample)
    p = service.predict_input(model_id, s.inputs.tolist())       # a JSON list, as the page sends it
    assert p.prediction == pytest.approx(s.prediction)
    np.testing.assert_allclose(p.probabilities, s.probabilities, rtol=1e-5, atol=1e-6)
    row = service.explain(model_id, sample, "integrated_gradients")
    mine = service.explain_input(model_id, s.inputs.ravel(), "integrated_gradients")
    assert mine.target == row.target
    np.testing.assert_allclose(mine.attribution, row.attribution, rtol=1e-5, atol=1e-6)


def test_an_edited_input_changes_the_answer_and_is_cached_by_its_bytes(service):
    x = service.sample("mnist-cnn", 0).inputs.copy()
    blank = np.zeros_like(x)
    a = service.explain_input("mnist-cnn", x, "saliency", target=2)
    hits = service.stats["hits"]
    again = service.explain_input("mnist-cnn", x.copy(), "saliency", target=2)      # same bytes: cache
    assert service.stats["hits"] == hits + 1
    np.testing.assert_array_equal(again.attribution, a.attribution)
    b = service.explain_input("mnist-cnn", blank, "saliency", target=2)
    assert not np.allclose(a.attribution, b.attribution)
    assert input_key(x) != input_key(blank)
    # gradient × input of an all-zero image is zero everywhere: worked out without the model
    assert np.all(service.explain_input("mnist-cnn", blank, "gradient_x_input", target=2).attribution == 0)


def test_an_edited_table_value_moves_the_prediction(service):
    """breast cancer: pushing the 'worst' size features to the largest seen values turns
    a benign prediction malignant (class 0 in scikit-learn's coding)."""
    info = service.model_info("breast-cancer-mlp")
    t = service.samples("breast-cancer-mlp")
    benign = int(np.flatnonzero(t.predictions == 1)[0])
    x = service.sample("breast-cancer-mlp", benign).inputs.copy()
    lo, hi = observed_range(service.dataset_for("breast-cancer-mlp"))
    for j, name in enumerate(info.feature_names):
        if name.startswith("worst") or name.startswith("mean"):
            x[j] = hi[j]
    assert service.predict_input("breast-cancer-mlp", x).prediction == 0
    lime = service.explain_input("breast-cancer-mlp", x, "lime", n_samples=200)
    assert lime.target == 0


def test_the_tree_answers_for_an_input(service):
    x = service.sample("wine-mlp", 7).inputs
    np.testing.assert_array_equal(service.explain_input("wine-mlp", x, "tree").path,
                                  service.explain("wine-mlp", 7, "tree").path)


@pytest.mark.parametrize("bad,words", [
    (np.zeros(27 * 28), "784"),
    ("0,1,2", "array"),
    (None, "array"),
    ({"a": 1}, "array"),
    ([[1, 2], [3]], "numbers"),
    (np.full(784, np.nan), "not finite"),
    (np.full(784, np.inf), "not finite"),
    (np.full(784, 3.0), "range"),
    (np.full(784, -0.5), "range"),
    (np.array(["a"] * 784), "numbers"),
])
def test_bad_images_are_refused_with_a_reason(service, bad, words):
    with pytest.raises(DataError, match=words):
        service.explain_input("mnist-cnn", bad, "saliency")


def test_bad_table_rows_are_refused_with_a_reason(service):
    data = service.dataset_for("wine-mlp")
    x = data.X[0].copy()
    x[0] = 1e6
    with pytest.raises(DataError, match="far outside"):
        service.predict_input("wine-mlp", x)
    with pytest.raises(DataError, match="13"):
        service.predict_input("wine-mlp", x[:5])
    with pytest.raises(TargetError):
        service.explain_input("wine-mlp", data.X[0], "saliency", target=3)
    with pytest.raises(ParameterError):
        service.explain_input("wine-mlp", data.X[0], "integrated_gradients", n_steps=0)
    with pytest.raises(ParameterError, match="depend on the input"):
        service.explain_input("wine-mlp", data.X[0], "weights")


def test_check_input_returns_a_read_only_copy(service):
    data = service.dataset_for("mnist-cnn")
    src = data.X[0].ravel().copy()
    x = check_input(data, src)
    assert x.shape == data.input_shape and x.dtype == np.float32 and not x.flags.writeable
    src[0] = 0.5
    assert x.ravel()[0] == data.X[0].ravel()[0]
