"""The pieces of the errors-and-bias view that are components rather than figures: the
headline numbers, the per-class metric table and the gallery (or table) of mistakes.
Plain functions of the engine's result (explain_core/model_views/errors.py)."""
from __future__ import annotations

import numpy as np
from dash import dash_table, html

from .. import ids
from ..figures.common import class_name
from ..figures.samples import digit_thumbnail_uri

TABLE_FEATURES = 12      # feature columns beside a mistake in the table (the slice feature first)


def stat(label: str, value: str, title: str = "", cls: str = ""):
    return html.Div([html.Div(label, className="stat-label"), html.Div(value, className=f"stat-value {cls}")],
                    className="stat", title=title)


def _pct(v: float) -> str:
    return f"{100 * v:.1f}%" if np.isfinite(v) else "–"


def headline(result) -> html.Div:
    """The few numbers a reader wants first."""
    tr, te = result.train, result.held_out
    if result.task == "regression":
        return html.Div(className="stats", children=[
            stat("Held-out R²", f"{te.r2:.3f}", "scikit-learn's r2_score on the held-out rows"),
            stat("Held-out MAE", f"{te.mae:.4g}", "mean |predicted − true|"),
            stat("Training R²", f"{tr.r2:.3f}", ""),
            stat("Largest held-out error", f"{result.largest.score[0]:.4g}" if len(result.largest.ids) else "–"),
        ])
    gap = tr.accuracy - te.accuracy
    return html.Div(className="stats", children=[
        stat("Held-out accuracy", _pct(te.accuracy), f"{te.n:,} held-out rows"),
        stat("Training accuracy", _pct(tr.accuracy), f"{tr.n:,} training rows scored"),
        stat("Gap", f"{100 * gap:+.1f} points", "training minus held-out accuracy", "bad" if gap > 0.05 else ""),
        stat("Calibration error (ECE)", _pct(result.ece),
             "expected calibration error: the average distance between how sure the model is and how often it "
             "is right, weighted by the samples in each confidence bin"),
        stat("Held-out mistakes", f"{result.n_wrong:,} of {te.n:,}"),
    ])


def metrics_table(result) -> html.Table:
    """Precision, recall, F1 and support per class on held-out data, with their macro
    average and the accuracy; the weakest F1 marked."""
    weakest = int(np.argmin(result.f1)) if len(result.f1) else -1
    head = html.Tr([html.Th(h) for h in ("class", "precision", "recall", "F1", "support")])
    rows = [html.Tr([html.Td(class_name(result.class_names, k)), html.Td(_pct(p)), html.Td(_pct(r)),
                     html.Td(_pct(f)), html.Td(f"{int(s):,}")], className="weakest" if k == weakest else "")
            for k, (p, r, f, s) in enumerate(zip(result.precision, result.recall, result.f1, result.support))]
    macro = [html.Td("macro average"), *[html.Td(_pct(float(np.mean(v))))
                                        for v in (result.precision, result.recall, result.f1)],
             html.Td(f"{int(result.support.sum()):,}")]
    return html.Table(className="metric-table", children=[
        html.Thead(head), html.Tbody(rows + [html.Tr(macro, className="total"),
                                             html.Tr([html.Td("accuracy"), html.Td(""), html.Td(""),
                                                      html.Td(_pct(result.held_out.accuracy)),
                                                      html.Td(f"{result.held_out.n:,}")], className="total")])])


def _verdict(result, k: int) -> tuple[str, str]:
    m = result.mistakes if result.task == "classification" else result.largest
    if result.task == "regression":
        return (f"true {m.true[k]:.4g} → {m.predicted[k]:.4g}", f"off by {m.score[k]:.4g}")
    names = result.class_names
    return (f"true {class_name(names, int(m.true[k]))} → {class_name(names, int(m.predicted[k]))}",
            f"{100 * m.score[k]:.0f}% sure")


def mistakes_gallery(result) -> html.Div:
    """Image models: a thumbnail per mistake (a button that opens the sample)."""
    m = result.mistakes if result.task == "classification" else result.largest
    cards = []
    for k, sid in enumerate(m.ids):
        line1, line2 = _verdict(result, k)
        cards.append(html.Button(
            id={"type": ids.ERR_MISTAKE, "index": int(sid)}, className="mistake", title=f"sample #{int(sid)}: "
            f"{line1}, {line2} — click to explain it", children=[
                html.Img(src=digit_thumbnail_uri(m.X[k]), alt=f"sample {int(sid)}"),
                html.Span(line1, className="mistake-line"), html.Span(line2, className="mistake-line muted")]))
    return html.Div(cards, className="mistake-gallery")


def _feature_order(result) -> list[int]:
    n = len(result.feature_names)
    first = [result.slices.feature] if result.slices is not None else []
    return (first + [j for j in range(n) if j not in first])[:TABLE_FEATURES]


def mistakes_table(result) -> dash_table.DataTable:
    """Tabular models: one row per mistake (a click on a row opens the sample)."""
    m = result.mistakes if result.task == "classification" else result.largest
    regression = result.task == "regression"
    cols = [("id", "sample"), ("true", "true"), ("pred", "predicted"),
            ("score", "|error|" if regression else "confidence")]
    feats = _feature_order(result)
    rows = []
    for k, sid in enumerate(m.ids):
        row = {"id": int(sid), "score": float(np.round(m.score[k], 4) if regression else round(100 * m.score[k], 1))}
        if regression:
            row.update(true=float(np.round(m.true[k], 4)), pred=float(np.round(m.predicted[k], 4)))
        else:
            row.update(true=class_name(result.class_names, int(m.true[k])),
                       pred=class_name(result.class_names, int(m.predicted[k])))
        x = np.asarray(m.X[k]).reshape(-1)
        row.update({f"f{j}": float(f"{x[j]:.4g}") for j in feats})
        rows.append(row)
    columns = [{"name": name, "id": cid} for cid, name in cols]
    columns[3]["name"] = columns[3]["name"] + ("" if regression else " (%)")
    columns += [{"name": str(result.feature_names[j]), "id": f"f{j}"} for j in feats]
    return dash_table.DataTable(
        id={"type": ids.ERR_MISTAKES_TABLE, "index": 0}, data=rows, columns=columns, page_size=8,
        style_table={"overflowX": "auto"}, style_cell={"fontSize": 12, "padding": "3px 6px", "cursor": "pointer"},
        style_header={"fontWeight": 600}, cell_selectable=True)


def mistakes_block(result) -> list:
    """The heading, a line saying what is shown, and the gallery or table."""
    m = result.mistakes if result.task == "classification" else result.largest
    if result.task == "regression":
        what = (f"The {len(m.ids)} held-out samples with the largest errors, largest first. "
                "Click one to explain it in the per-sample tabs.")
        title = "Largest errors"
    elif not len(m.ids):
        return [html.H4("Most confident mistakes"), html.P("No held-out sample is misclassified.", className="muted")]
    else:
        what = (f"The {len(m.ids)} wrong held-out predictions the model was surest of (of {result.n_wrong:,} "
                "mistakes), surest first: often mislabelled samples or a blind spot. Click one to explain it.")
        title = "Most confident mistakes"
    body = mistakes_gallery(result) if result.kind == "image" else mistakes_table(result)
    return [html.H4(title), html.P(what, className="muted"), body]
