"""The exported report opens in headless Chromium with the network off, draws every
figure, shows the parameters and names the model's hash; the browser asks for nothing
but the file itself."""
import json

import pytest

from dashboard import ids
from dashboard.report import report_html
from dashboard.report_view import collect
from tests.e2e.conftest import CHROME_FLAGS, chromium_path

pytestmark = pytest.mark.e2e


def offline_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    o = webdriver.ChromeOptions()
    o.binary_location = chromium_path()
    for flag in CHROME_FLAGS + ("--headless=new",):
        o.add_argument(flag)
    o.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                                "downloadThroughput": -1, "uploadThroughput": -1})
    return driver


@pytest.mark.parametrize("model_id,sample,tab,controls", [
    ("mnist-cnn", 3, ids.TAB_GRADIENTS, {"method_a": "integrated_gradients", "method_b": "saliency"}),
    ("breast-cancer-mlp", 4, ids.TAB_LIME, {"lime": {"n_samples": 300}}),
])
def test_the_report_opens_offline_with_every_figure(service, tmp_path, model_id, sample, tab, controls):
    if chromium_path() is None:
        pytest.skip("needs Chromium")
    report = collect(service, model_id, sample, tab, None, controls, "http://127.0.0.1:8050/?model=x")
    path = tmp_path / "report.html"
    path.write_text(report_html(report), encoding="utf-8")
    driver = offline_browser()
    try:
        driver.get(path.as_uri())
        drawn = driver.execute_script(
            "return Array.from(document.querySelectorAll('div.figure')).map(function (d) {"
            "  return d.classList.contains('js-plotly-plot') && !!d.querySelector('.main-svg'); });")
        # every section's figure and the sample's class probabilities, each drawn by plotly
        assert drawn == [True] * (len(report.sections) + 1)
        text = driver.find_element("tag name", "body").text
        assert service.model_info(model_id).hash in text
        for section in report.sections:
            for name in section.params:
                assert name in text, name
        requests = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
        urls = [m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"]
        assert urls and all(u.startswith(("file://", "data:")) for u in urls), urls
        failed = [m["params"] for m in requests if m["method"] == "Network.loadingFailed"]
        assert not failed, failed
    finally:
        driver.quit()
