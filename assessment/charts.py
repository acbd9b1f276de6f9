"""Charts of the assessment pages as inline SVG drawn on the server [AR-2].

The pages work offline and load in a few milliseconds: SVG written here costs
far less than a matplotlib PNG per group (the PDF download keeps
assessment_exports._chart_png), and the browser renders the Chinese names with
its own fonts. Colours only in presentation attributes, so a strict
style-src CSP does not blank them.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from assessment.metrics import UnitScore

BAR = "#2b6cb0"
TALK = "#c53030"
GRID = "#d6dde6"
INK = "#1d2733"
MUTED = "#5b6776"


def _text(
    x: float, y: float, text: str, *, anchor: str = "start", size: int = 12, fill: str = INK, extra: str = ""
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{extra}>'
        f"{escape(text)}</text>"
    )


def score_bars(rows: list[UnitScore], *, title: str, talk_label: str) -> SafeString:
    """Horizontal bars of the ranked units' scores (0–100), best first; units summoned for a talk in red [AR-3]."""
    scored = [u for u in rows if u.score is not None]
    if not scored:
        return mark_safe("")
    label_w, bar_w, row_h, top = 180, 270, 22, 24
    width, height = label_w + bar_w + 50, top + row_h * len(scored) + 8
    parts = [
        f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    ]
    for tick in range(0, 101, 20):
        x = label_w + bar_w * tick / 100
        parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 6}" stroke="{GRID}"/>')
        parts.append(_text(x, top - 10, str(tick), anchor="middle", size=10, fill=MUTED))
    for i, u in enumerate(scored):
        y = top + i * row_h
        w = bar_w * max(0.0, min(u.score, 100.0)) / 100
        colour = TALK if u.talk else BAR
        label = f"{u.rank}. {u.name}"
        parts.append(_text(label_w - 6, y + 15, label, anchor="end"))
        tip = f"{u.name} {u.score:.2f}" + (f" · {talk_label}" if u.talk else "")
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{colour}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        parts.append(_text(label_w + w + 4, y + 15, f"{u.score:.2f}", size=11, fill=colour))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def score_trend(points: list[tuple[str, float | None, int | None]], *, title: str, rank_label: str) -> SafeString:
    """A line of one unit's monthly scores (yyyy-mm, score, rank), oldest first; gaps where it was not scored."""
    left, right, top, bottom = 40, 20, 24, 44
    plot_w, plot_h = 560, 170
    width, height = left + plot_w + right, top + plot_h + bottom
    step = plot_w / max(1, len(points) - 1)

    def xy(i: int, score: float) -> tuple[float, float]:
        return left + i * step, top + plot_h * (1 - max(0.0, min(score, 100.0)) / 100)

    parts = [
        f'<svg class="chart trend" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    ]
    for tick in range(0, 101, 25):
        y = top + plot_h * (1 - tick / 100)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_text(left - 6, y + 4, str(tick), anchor="end", size=10, fill=MUTED))
    runs, run = [], []
    for i, (_period, score, _rank) in enumerate(points):
        if score is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(xy(i, score))
    if run:
        runs.append(run)
    for r in runs:
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in r)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{BAR}" stroke-width="2"/>')
    for i, (period, score, rank) in enumerate(points):
        x = left + i * step
        parts.append(_text(x, top + plot_h + 18, period, anchor="middle", size=11, fill=MUTED))
        if score is None:
            parts.append(_text(x, top + plot_h + 34, "—", anchor="middle", size=11, fill=MUTED))
            continue
        px, py = xy(i, score)
        parts.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{BAR}"><title>{escape(period)} {score:.2f}</title></circle>'
        )
        parts.append(_text(px, py - 8, f"{score:.2f}", anchor="middle", size=11))
        if rank:
            parts.append(_text(x, top + plot_h + 34, rank_label % {"rank": rank}, anchor="middle", size=11))
    parts.append("</svg>")
    return mark_safe("".join(parts))
