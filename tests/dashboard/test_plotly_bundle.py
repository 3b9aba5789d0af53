"""The page's partial plotly.js (assets/plotly-glimpse.min.js, tools/plotly_bundle): it holds
every trace type the figure builders use, is the plotly.js version Dash would serve, and
needs no eval (the CSP has no 'unsafe-eval')."""
from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "assets" / "plotly-glimpse.min.js"
ENTRY = ROOT / "tools" / "plotly_bundle" / "entry.js"
TRACE_TYPES = {name.lower() for name in go.__all__
               if isinstance(getattr(go, name), type) and issubclass(getattr(go, name), BaseTraceType)}


def bundled() -> set[str]:
    return ({"scatter"} | set(re.findall(r"require\('plotly\.js/lib/([a-z0-9]+)'\)", ENTRY.read_text()))) - {"core"}


def used() -> set[str]:
    """Trace types named in dashboard/ (and glimpse/): go.<Trace>( and type="<trace>" in dicts."""
    found = set()
    for path in [*ROOT.joinpath("dashboard").rglob("*.py"), *ROOT.joinpath("glimpse").rglob("*.py")]:
        text = path.read_text()
        found |= {name.lower() for name in re.findall(r"\bgo\.([A-Z][A-Za-z0-9]*)\(", text)}
        found |= set(re.findall(r"""\btype\s*=\s*["']([a-z0-9]+)["']""", text))
        found |= set(re.findall(r"""["']type["']\s*:\s*["']([a-z0-9]+)["']""", text))
    return found & TRACE_TYPES


def test_every_trace_type_the_figures_use_is_in_the_bundle():
    assert {"bar", "heatmap", "scatter", "waterfall"} <= used()     # the scan finds them
    missing = used() - bundled()
    assert not missing, f"add {sorted(missing)} to {ENTRY} and run tools/plotly_bundle/build.sh"
    banner = BUNDLE.read_text()[:300]
    for trace in bundled():
        assert trace in banner, trace


def test_the_bundle_is_the_plotly_js_dash_serves():
    head = BUNDLE.read_text()[:300]
    assert f"plotly.js v{get_plotlyjs_version()}," in head, head[:120]


def test_the_bundle_needs_no_eval_and_is_a_quarter_of_the_full_one():
    text = BUNDLE.read_text()
    assert "new Function(" not in text and not re.search(r"\beval\(", text)
    full = Path(go.__file__).parent.parent / "package_data" / "plotly.min.js"
    assert BUNDLE.stat().st_size < 0.3 * full.stat().st_size
