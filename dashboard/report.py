"""The exported report: one self-contained HTML file of the view on screen, for audits.

report_html(Report) is a pure function of values the service computed (the model card,
the sample, each figure with its caption, parameters and quality notes): nothing is read
back from the page. Plotly's JavaScript is written into the file once, every figure draws
with it, and images are data URIs: the file opens offline and makes no request.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

import plotly.graph_objects as go

PLOT_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class Section:
    """One explanation shown: its title, what the colours and numbers mean, the method's
    parameters (all of them, defaults filled in), quality notes (IG's completeness, LIME's
    local fit), and its figure."""
    title: str
    caption: str
    figure: go.Figure | None = None
    method: str = ""
    params: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    table: tuple[tuple[str, str], ...] = ()     # (label, value) rows drawn as a table (e.g. the tree's scores)


@dataclass(frozen=True)
class Report:
    title: str
    model: tuple[tuple[str, str], ...]          # the model card: (label, value)
    model_hash: str
    sample: tuple[tuple[str, str], ...]         # the sample's facts: (label, value)
    sections: tuple[Section, ...]
    version: str
    created: str                                # when the report was made (UTC, ISO 8601)
    link: str = ""                              # the page's address of this view
    sample_image: str = ""                      # a data URI (image models)
    sample_values: tuple[tuple[str, str], ...] = ()   # a table row's features and values
    sample_figure: go.Figure | None = None      # the class probabilities (or predicted value)


STYLE = """
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2933;margin:0;background:#f5f7fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px}h3{font-size:16px;margin:0 0 6px}
.meta{color:#52606d;font-size:13px}.card{background:#fff;border:1px solid #d9e2ec;border-radius:8px;
padding:14px 18px;margin:12px 0}table{border-collapse:collapse}td,th{padding:3px 10px 3px 0;text-align:left;
vertical-align:top}th{color:#52606d;font-weight:600}.kv th{width:190px}code{font-size:13px}
.sample{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap}.sample img{width:168px;height:168px;
image-rendering:pixelated;border:1px solid #d9e2ec}.caption{margin:4px 0 8px}.note{color:#334e68;
background:#f0f4f8;border-left:3px solid #829ab1;padding:6px 10px;margin:6px 0}
.values{max-height:420px;overflow:auto}.params td:first-child{color:#52606d}
"""


def _rows(pairs, cls: str = "kv") -> str:
    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in pairs)
    return f'<table class="{cls}">{body}</table>'


def _figure(fig: go.Figure, div_id: str) -> str:
    """A figure's div and the call that draws it with the one copy of plotly.js."""
    spec = fig.to_plotly_json()
    data = json.dumps(spec.get("data", []), cls=_encoder())
    layout = json.dumps(spec.get("layout", {}), cls=_encoder())
    return (f'<div id="{div_id}" class="figure"></div><script>Plotly.newPlot("{div_id}",{data},{layout},'
            f'{json.dumps(PLOT_CONFIG)});</script>')


def _encoder():
    from plotly.utils import PlotlyJSONEncoder
    return PlotlyJSONEncoder


def _params(params: dict) -> str:
    if not params:
        return '<p class="meta">This method has no parameters.</p>'
    return _rows(((k, _value(v)) for k, v in params.items()), "params")


def _value(v) -> str:
    if v is None:
        return "default"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _section(s: Section, i: int) -> str:
    parts = [f'<section class="card"><h3>{html.escape(s.title)}</h3>',
             f'<p class="caption">{html.escape(s.caption)}</p>']
    if s.method:
        parts.append(f'<p class="meta">Method: <code>{html.escape(s.method)}</code>; parameters:</p>')
        parts.append(_params(s.params))
    if s.figure is not None:
        parts.append(_figure(s.figure, f"fig-{i}"))
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in s.notes]
    if s.table:
        parts.append(_rows(s.table))
    parts.append("</section>")
    return "".join(parts)


def _sample(r: Report) -> str:
    parts = ['<div class="card sample">']
    if r.sample_image:
        parts.append(f'<img src="{r.sample_image}" alt="the sample">')
    parts.append(f"<div>{_rows(r.sample)}</div>")
    if r.sample_figure is not None:
        parts.append(f'<div style="min-width:320px;flex:1">{_figure(r.sample_figure, "fig-sample")}</div>')
    parts.append("</div>")
    if r.sample_values:
        parts.append('<details class="card" open><summary>The sample\'s feature values</summary>'
                     f'<div class="values">{_rows(r.sample_values)}</div></details>')
    return "".join(parts)


def report_html(r: Report, plotly_js: str | None = None) -> str:
    """The whole report as one HTML document. plotly_js: the library's source (default:
    the installed plotly's bundle), inlined once before the first figure."""
    if plotly_js is None:
        from plotly.offline import get_plotlyjs
        plotly_js = get_plotlyjs()
    link = (f'<p class="meta">View in Glimpse: <a href="{html.escape(r.link)}">{html.escape(r.link)}</a></p>'
            if r.link else "")
    body = [
        f"<h1>{html.escape(r.title)}</h1>",
        f'<p class="meta">Glimpse {html.escape(r.version)} · report made {html.escape(r.created)} · '
        f"model content hash <code>{html.escape(r.model_hash)}</code></p>", link,
        "<h2>Model</h2>", f'<div class="card">{_rows(r.model + (("Content hash", r.model_hash),))}</div>',
        "<h2>Sample</h2>", _sample(r),
        "<h2>Explanation</h2>", *(_section(s, i) for i, s in enumerate(r.sections)),
    ]
    if not r.sections:
        body.append('<p class="note">This view has no explanation figure to export.</p>')
    # </script> inside the library would end the tag early: escape the one sequence that can
    js = plotly_js.replace("</script", "<\\/script")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(r.title)}</title><style>{STYLE}</style>"
            f"<script>{js}</script></head><body><main>{''.join(body)}</main></body></html>\n")


def report_filename(model_id: str, sample, tab: str) -> str:
    """glimpse-<model>-<sample>-<tab>.html with only safe characters."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in f"{model_id}-{sample}-{tab}")
    return f"glimpse-{safe[:120]}.html"
