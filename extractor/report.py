"""The eval report as one self-contained HTML page (no scripts, no network).

A person should see at a glance where a backend is weak: a bar per field, then
each paper with its abstract and the gold and predicted spans marked in it.
Gold spans are underlined, predicted spans shaded; a gold item the backend
missed is listed in red, a predicted item with no gold match in amber.
Papers with a miss or an extra come first.
"""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

from .grounding import find_quote

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.4em} h2{font-size:1.05em;margin:0 0 .3em}
.bar{display:flex;align-items:center;gap:.6em;margin:.2em 0}
.bar .name{width:11em}.bar .track{flex:1;background:#eee;height:1.1em;border-radius:3px}
.bar .fill{height:100%;background:#3b7dd8;border-radius:3px}.bar .v{width:5em;text-align:right}
.paper{border:1px solid #ddd;border-radius:6px;padding:.8em 1em;margin:1em 0}
.abstract{color:#333;font-size:.93em}
u.gold{text-decoration:underline 2px #2a8a2a}
mark.pred{background:#cfe3ff}
.miss{color:#b00020}.extra{color:#a15c00}.ok{color:#2a7a2a}
table{border-collapse:collapse;font-size:.9em;margin-top:.5em}
td,th{border-bottom:1px solid #eee;padding:.15em .6em;text-align:left;vertical-align:top}
.err{color:#b00020;font-weight:600}
"""


def _spans(abstract: str, items: list[str]) -> list[tuple[int, int]]:
    found = []
    for item in items:
        span = find_quote(abstract, item)
        if span is None and item:
            match = re.search(re.escape(item), abstract, re.IGNORECASE)
            span = match.span() if match else None
        if span:
            found.append(span)
    return found


def _marked(abstract: str, gold: list[tuple[int, int]], pred: list[tuple[int, int]]) -> str:
    """The abstract as HTML with gold spans underlined and predicted spans shaded."""
    events = sorted({0, len(abstract), *[i for s in gold + pred for i in s]})
    out = []
    for start, end in itertools.pairwise(events):
        piece = html.escape(abstract[start:end])
        if any(a <= start and end <= b for a, b in pred):
            piece = f'<mark class="pred">{piece}</mark>'
        if any(a <= start and end <= b for a, b in gold):
            piece = f'<u class="gold">{piece}</u>'
        out.append(piece)
    return "".join(out)


def _claim(c: dict[str, Any]) -> str:
    factor = c.get("factor")
    upper = f"–{c['factor_max']:g}" if c.get("factor_max") else ""
    base = f" vs {c['baseline']}" if c.get("baseline") else ""
    return f"{'?' if factor is None else f'{factor:g}'}{upper}× “{c.get('text', '')}”{base}"


def _field_rows(item: dict[str, Any]) -> str:
    scores, rows = item["scores"], []
    for name in ("speedups", "hardware", "datasets"):
        s = scores[name]
        show = _claim if name == "speedups" else str
        cells = [f'<span class="miss">missed {html.escape(show(x))}</span>' for x in s["missed"]]
        cells += [f'<span class="extra">extra {html.escape(show(x))}</span>' for x in s["extra"]]
        if name == "datasets":
            cells += [f'<span class="extra">dropped, not in the text: {html.escape(x)}</span>'
                      for x in item.get("dropped_datasets", [])]
        if not cells:
            cells = [f'<span class="ok">{s["tp"]} correct</span>' if s["tp"] else "—"]
        rows.append(f"<tr><th>{name}</th><td>{'<br>'.join(cells)}</td></tr>")
    predicted = item["predicted"] or {}
    for name in ("task", "method"):
        rows.append(
            f"<tr><th>{name}</th><td>gold: {html.escape(item['gold'][name])}<br>"
            f"predicted: {html.escape(predicted.get(name, ''))} "
            f"(token F1 {scores[name]['token_f1']:.2f})</td></tr>"
        )
    return "".join(rows)


def _paper(item: dict[str, Any]) -> str:
    gold, predicted = item["gold"], item["predicted"] or {}
    quotes = lambda d: [c["text"] for c in d.get("speedups", [])]  # noqa: E731
    names = lambda d: d.get("hardware", []) + d.get("datasets", [])  # noqa: E731
    abstract = item.get("abstract", "")
    marked = _marked(abstract, _spans(abstract, quotes(gold) + names(gold)),
                     _spans(abstract, quotes(predicted) + names(predicted)))
    error = item["scores"].get("error")
    return (
        f'<div class="paper"><h2>{html.escape(item.get("title") or item["id"])}</h2>'
        f'<div><code>{html.escape(item["id"])}</code></div>'
        + (f'<div class="err">{html.escape(error)}</div>' if error else "")
        + f'<p class="abstract">{marked}</p><table>{_field_rows(item)}</table></div>'
    )


def _has_errors(item: dict[str, Any]) -> bool:
    s = item["scores"]
    return bool(s.get("error")) or any(s[n]["missed"] or s[n]["extra"]
                                       for n in ("speedups", "hardware", "datasets"))


def render_html(report: dict[str, Any]) -> str:
    """The whole page for one backend's report."""
    bars = []
    for name, metrics in report["fields"].items():
        value = metrics.get("f1", metrics.get("token_f1", 0.0))
        label = "F1" if "f1" in metrics else "token F1"
        bars.append(
            f'<div class="bar"><span class="name">{name} {label}</span><span class="track">'
            f'<div class="fill" style="width:{value * 100:.1f}%"></div></span>'
            f'<span class="v">{value:.3f}</span></div>'
        )
    items = sorted(report["items"], key=lambda i: not _has_errors(i))
    title = f"extractor eval: {report['backend']} ({report['model'] or 'no model'})"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p>{report['n']} papers, {report['errors']} failed extractions, "
        f"{'' if report.get('titles', True) else 'titles withheld, '}prompt "
        f"<code>{report['prompt_hash']}</code>. <u class='gold'>underlined</u> = gold, "
        f"<mark class='pred'>shaded</mark> = predicted.</p>"
        + "".join(bars) + "".join(_paper(i) for i in items) + "</body></html>"
    )
