"""70,000 digits through glimpse.show's service in headless Chromium: the first page shows
while the model still runs over the rest, paging (buttons, a page typed in) and filters run
on the server, a click on page 3 selects its digit and its map shows, and a deep link to
sample 65,000 opens the page that holds it."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dashboard import ids
from dashboard.samples import PAGE_SIZE_IMAGES, Filters, ordered_ids

pytestmark = pytest.mark.slow
N = 70_000


def small_cnn() -> nn.Module:
    """A conv layer (Grad-CAM, activations) that runs over 70,000 digits in about a second."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(),
                         nn.Linear(4 * 7 * 7, 10))


@pytest.fixture(scope="module")
def digits(settings, tmp_path_factory):
    from bench.large_data import mnist_70k
    from explain_core import Settings
    from glimpse.show import build_service

    X, y = mnist_70k(settings.cache_dir)
    home = tmp_path_factory.mktemp("scale")
    model = small_cnn()
    service = build_service(model, X, y, title="digits 70k",
                            settings=Settings(model_store=home / "m", cache_dir=home / "c", cache_type="simple"))
    return service, service.model_ids()[0], model, X, y


@pytest.fixture
def page(dash_duo, digits, background_manager):
    from dashboard import create_app
    from tests.e2e import helpers
    from tests.e2e.conftest import free_port

    service = digits[0]
    app = create_app(service, background_manager=background_manager)
    assert app.glimpse_startup.wait(60), app.glimpse_startup.status()
    page = helpers.Page(dash_duo, service)
    dash_duo.start_server(app, port=free_port(), debug=True, use_reloader=False, dev_tools_hot_reload=False)
    return page


def label(page) -> str:
    return page.text(ids.PAGE_LABEL)


def test_70000_digits_page_filter_and_select_on_page_3(page, digits):
    service, mid, model, X, y = digits
    page.open()
    listed = ordered_ids(service, mid, Filters(held_out=True))
    page.until(lambda: page.text(ids.BROWSER_COUNT) == "70,000 of 70,000 listed", 20, "the count")
    assert label(page) == "page 1 of 1,750" and page.thumb_ids() == listed[:PAGE_SIZE_IMAGES].tolist()
    for k in (2, 3):
        page.click(f"#{ids.PAGE_NEXT}")
        page.until(lambda: label(page) == f"page {k} of 1,750", 20, f"page {k}")
    third = listed[2 * PAGE_SIZE_IMAGES:3 * PAGE_SIZE_IMAGES].tolist()
    page.until(lambda: page.thumb_ids() == third, 20, "page 3's thumbnails")
    # a click on page 3 selects that digit; its explanation shows
    chosen = third[11]
    page.select_sample(chosen)
    page.until(lambda: page.ringed_thumb() == chosen, 10, "the ring over the clicked digit")
    grad = ids.output(ids.TAB_GRADIENTS)
    page.wait_figures(grad, lambda f: service.cached(mid, chosen, "integrated_gradients")
                      and f[0]["title"].startswith("Integrated gradients"))
    with torch.no_grad():
        pred = int(model(torch.as_tensor(X[chosen:chosen + 1])).argmax())
    assert page.text(ids.SAMPLE_PRED) == str(pred)
    # a filter on the server: the threes, then those of them the model gets wrong
    page.choose(ids.FILTER_TRUE, "3")
    want = f"{int((y == 3).sum()):,} of 70,000 listed"
    page.until(lambda: count_text(page) == want, 20, f"the threes counted ({want!r}, the page: "
               f"{page.text(ids.BROWSER_COUNT)!r})")
    hidden = "is not among them" in page.text(ids.BROWSER_COUNT)       # the filter may hide the selection
    assert hidden == (y[chosen] != 3), page.text(ids.BROWSER_COUNT)
    page.until(lambda: page.thumb_ids() and all(y[i] == 3 for i in page.thumb_ids()), 20, "only threes")
    assert label(page).startswith("page 1 of ")
    page.click(f"#{ids.FILTER_FLAGS} input[value='{ids.MISCLASSIFIED}']")
    with torch.no_grad():
        every = torch.cat([model(torch.as_tensor(X[i:i + 10_000])) for i in range(0, N, 10_000)]).argmax(1).numpy()
    wrong3 = int(((y == 3) & (every != 3)).sum())
    page.until(lambda: count_text(page) == f"{wrong3:,} of 70,000 listed", 60,
               "the misclassified threes counted")
    page.until(lambda: page.thumb_ids() and all(every[i] != 3 for i in page.thumb_ids()), 20, "wrong threes only")
    page.assert_clean()


def test_a_deep_link_to_sample_65000_and_a_page_typed_in(page, digits):
    service, mid, _, _, _ = digits
    page.open("?sample=65000")
    listed = ordered_ids(service, mid, Filters(held_out=True))
    at = int(np.flatnonzero(listed == 65_000)[0])
    assert page.sample_id() == 65_000
    page.until(lambda: label(page) == f"page {at // PAGE_SIZE_IMAGES + 1:,} of 1,750", 20, "the page holding it")
    page.until(lambda: page.ringed_thumb() == 65_000, 20, "the ring over sample 65,000")
    box = page.duo.find_element(f"#{ids.PAGE_JUMP}")
    box.send_keys("1234\n")
    page.until(lambda: label(page) == "page 1,234 of 1,750", 20, "page 1,234")
    page.until(lambda: page.thumb_ids() == listed[1_233 * 40:1_234 * 40].tolist(), 20, "its thumbnails")
    assert page.sample_id() == 65_000                   # paging leaves the selection where it is
    page.assert_clean()


def count_text(page) -> str:
    """'N of M listed', without the note that the filters hide the selected sample."""
    return page.text(ids.BROWSER_COUNT).split("·")[0].strip()
