"""A briefing as images, PDF and Excel [AN-1][AN-2].

Charts are PNGs drawn with matplotlib (Agg) in the CJK font the system has, the
same approach as assessment.exports; the page serves them from our own
views and the PDF embeds them. The PDF is laid out with reportlab's platypus in
the STSong-Light CID font (Chinese renders without embedding a font); the
workbook has one sheet per section (openpyxl).
"""

from __future__ import annotations

import io
from functools import lru_cache

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry
from django.db.models import F, Func

from briefings.figures import Briefing, pct, points
from core.exports import safe_row
from grid.models import Area, Level, child_level

CJK_FONT = "STSong-Light"
FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
BLUE, GREY, ORANGE, RED = "#2b6cb0", "#a0aec0", "#dd6b20", "#c53030"
CHARTS = ("channels", "categories", "rising", "slowest", "hotspots")
ANNUAL_CHARTS = ("trend",)  # a year's briefing only
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@lru_cache(maxsize=1)
def _font():
    from matplotlib import font_manager

    return font_manager.FontProperties(fname=FONT_PATH)


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height), dpi=120)
    ax.spines[["top", "right"]].set_visible(False)
    return plt, fig, ax


def _png(plt, fig) -> bytes:
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def _cjk_labels(ax) -> None:
    for label in [*ax.get_yticklabels(), *ax.get_xticklabels()]:
        label.set_fontproperties(_font())
    if ax.get_legend():
        for text in ax.get_legend().get_texts():
            text.set_fontproperties(_font())


def _empty(plt, fig, ax, text: str = "本期无数据") -> bytes:
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontproperties=_font(), fontsize=12, color="#4a5568")
    return _png(plt, fig)


def channels_png(b: Briefing) -> bytes:
    """Tickets by channel, this period against the previous one (horizontal bars)."""
    plt, fig, ax = _figure(6.4, 0.5 + 0.32 * max(len(b.channels), 3))
    if not b.channels:
        return _empty(plt, fig, ax)
    rows = b.channels[::-1]
    y = range(len(rows))
    ax.barh([i + 0.2 for i in y], [r.count for r in rows], height=0.4, color=BLUE, label=b.period.short_label)
    ax.barh([i - 0.2 for i in y], [r.previous for r in rows], height=0.4, color=GREY, label=b.periods[1].short_label)
    ax.set_yticks(list(y), [r.name for r in rows])
    ax.legend(loc="lower right", frameon=False)
    _cjk_labels(ax)
    return _png(plt, fig)


def categories_png(b: Briefing, *, top: int = 8) -> bytes:
    """The top categories' shares over the three periods (grouped bars, percent labels) [AN-2]."""
    plt, fig, ax = _figure(6.4, 3.0)
    cats = [c for c in b.categories if c.code][:top]
    if not cats or not any(b.totals):
        return _empty(plt, fig, ax)
    width = 0.26
    colours = ["#cbd5e0", GREY, BLUE]
    for i, p in enumerate(b.periods):
        xs = [j + (i - 1) * width for j in range(len(cats))]
        bars = ax.bar(xs, [c.shares[i] * 100 for c in cats], width=width, color=colours[i], label=p.short_label)
        if i == 2:
            for bar, c in zip(bars, cats, strict=True):
                ax.annotate(
                    f"{c.shares[2] * 100:.1f}",
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )
    ax.set_xticks(range(len(cats)), [c.name for c in cats], rotation=20, ha="right")
    ax.set_ylabel("%")
    ax.legend(frameon=False, fontsize=8)
    _cjk_labels(ax)
    return _png(plt, fig)


def rising_png(b: Briefing) -> bytes:
    """Rising categories: previous and current counts."""
    plt, fig, ax = _figure(6.4, 0.5 + 0.36 * max(len(b.rising), 3))
    if not b.rising:
        return _empty(plt, fig, ax, "本期无明显上升的分类")
    rows = b.rising[::-1]
    y = range(len(rows))
    ax.barh([i - 0.2 for i in y], [r.previous for r in rows], height=0.4, color=GREY, label=b.periods[1].short_label)
    ax.barh([i + 0.2 for i in y], [r.count for r in rows], height=0.4, color=ORANGE, label=b.period.short_label)
    ax.set_yticks(list(y), [r.path for r in rows])
    ax.legend(loc="lower right", frameon=False)
    _cjk_labels(ax)
    return _png(plt, fig)


def slowest_png(b: Briefing) -> bytes:
    """Median hours from assignment to reply of the slowest offices."""
    plt, fig, ax = _figure(6.4, 0.5 + 0.32 * max(len(b.slowest), 3))
    rows = [s for s in b.slowest if s.median_hours is not None][::-1]
    if not rows:
        return _empty(plt, fig, ax)
    ax.barh(range(len(rows)), [s.median_hours for s in rows], color=RED)
    ax.set_yticks(range(len(rows)), [s.name for s in rows])
    ax.set_xlabel("小时（中位数）", fontproperties=_font())
    _cjk_labels(ax)
    return _png(plt, fig)


class _Simplified(Func):
    function = "ST_SimplifyPreserveTopology"
    output_field = GeometryField(srid=4326)


def _outline(area: Area) -> list:
    """The area's children (or the area itself at the lowest level), simplified, as GEOS geometries."""
    level = child_level(area.level) if area.level != Level.COMMUNITY else None
    qs = Area.objects.current()
    qs = qs.filter(parent__code=area.code, level=level) if level else qs.filter(code=area.code)
    tolerance = {Level.COUNTY: 0.001, Level.TOWNSHIP: 0.0003, Level.COMMUNITY: 0.0001}.get(level or area.level, 0.001)
    return [a.shape for a in qs.annotate(shape=_Simplified(F("geom"), tolerance)).only("code")]


def _rings(geom):
    polys = [geom] if geom.geom_type == "Polygon" else list(geom) if geom.geom_type == "MultiPolygon" else []
    for poly in polys:
        yield poly.exterior_ring.coords


def hotspots_png(b: Briefing, area: Area | None) -> bytes:
    """The area's boundaries with the period's top hotspots drawn and numbered as in the table."""
    plt, fig, ax = _figure(6.4, 4.6)
    if area is None:
        return _empty(plt, fig, ax)
    for shape in _outline(area):
        for ring in _rings(shape):
            xs, ys = zip(*ring, strict=True)
            ax.fill(xs, ys, facecolor="#edf2f7", edgecolor="#4a5568", linewidth=0.5)
    for i, h in enumerate(b.hotspots, 1):
        hull = GEOSGeometry(h.hull_wkt, srid=4326)
        for ring in _rings(hull):
            xs, ys = zip(*ring, strict=True)
            ax.fill(xs, ys, facecolor=ORANGE, edgecolor=RED, linewidth=1, alpha=0.6)
        ax.plot(*h.centroid, "o", color=RED, markersize=9, markerfacecolor="none", markeredgewidth=1.5)
        ax.annotate(
            str(i), h.centroid, xytext=(6, 6), textcoords="offset points", color=RED, fontsize=10, weight="bold"
        )
    if not b.hotspots:
        ax.text(0.5, 0.02, "本期无热点", transform=ax.transAxes, ha="center", fontproperties=_font(), color="#4a5568")
    ax.set_aspect(1 / 0.82)  # ~cos(33.7°): degrees of longitude are shorter than of latitude here
    ax.axis("off")
    return _png(plt, fig)


def chart_png(name: str, b: Briefing, area: Area | None = None) -> bytes:
    if name == "hotspots":
        return hotspots_png(b, area)
    if name == "trend":
        from briefings.annual_exports import trend_png

        return trend_png(b)
    return {"channels": channels_png, "categories": categories_png, "rising": rising_png, "slowest": slowest_png}[name](
        b
    )


# -- PDF ----------------------------------------------------------------------------------


def _local(value):
    from django.utils import timezone

    return timezone.localtime(value)


def _hours(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def _count_change(now: float, before: float) -> str:
    if not before:
        return "—"
    return f"{(now - before) / before * 100:+.1f}%"


# STSong-Light (Adobe-GB1) has no U+00B7 middle dot or U+2022 bullet: use the katakana dot and a disc.
_PDF_GLYPHS = str.maketrans({"\u00b7": "\u30fb", "\u2022": "\u25cf", "\u2039": "<", "\u203a": ">"})
PDF_TOP_CATEGORIES = 12


def pdf_text(value) -> str:
    """Text for a reportlab Paragraph: markup characters escaped, glyphs the CID font lacks replaced."""
    from xml.sax.saxutils import escape

    return escape(str(value)).translate(_PDF_GLYPHS)


def briefing_pdf(b: Briefing, *, title: str, area: Area | None = None) -> bytes:
    """The briefing as an A4 PDF: headlines, the five charts and the tables (a year's: and its own sections)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=10, leading=15, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=body, fontSize=18, leading=24, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=13, leading=18, spaceBefore=10, spaceAfter=4)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11, textColor=colors.HexColor("#4a5568"))
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11)

    def table(head: list[str], rows: list[list], widths: list[float]) -> Table:
        data = [[Paragraph(pdf_text(x), cell) for x in head]] + [
            [Paragraph(pdf_text(x), cell) for x in r] for r in rows
        ]
        t = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e2e8f0")),
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#a0aec0")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    def image(png: bytes, width_mm: float = 160) -> Image:
        from PIL import Image as PILImage

        w, h = PILImage.open(io.BytesIO(png)).size
        return Image(io.BytesIO(png), width=width_mm * mm, height=width_mm * mm * h / w)

    story = [
        Paragraph(pdf_text(title), h1),
        Paragraph(
            f"生成时间 {_local(b.generated_at):%Y-%m-%d %H:%M}"
            + ("" if b.complete else "（本期尚未结束，数据截至生成时间）"),
            small,
        ),
        Spacer(1, 4 * mm),
    ]
    story += [Paragraph(pdf_text(f"● {line}"), body) for line in b.headlines]

    story += [Paragraph("一、受理总量与渠道", h2)]
    story.append(
        Paragraph(
            f"本期受理 {int(b.volume.now)} 件，上期 {int(b.volume.before)} 件，"
            f"变化 {_count_change(b.volume.now, b.volume.before)}。",
            body,
        )
    )
    story.append(image(channels_png(b)))
    story.append(
        table(
            ["渠道", "本期", "上期", "占比"],
            [[c.name, c.count, c.previous, pct(c.share)] for c in b.channels],
            [60, 30, 30, 30],
        )
    )

    story += [Paragraph("二、诉求分类占比（近三期）", h2), image(categories_png(b))]
    heads = ["分类", *[p.short_label for p in b.periods], "变化（百分点）"]
    rows = [
        [c.name, *[f"{pct(s)}（{n}）" for s, n in zip(c.shares, c.counts, strict=True)], points(c.change)]
        for c in b.categories[:PDF_TOP_CATEGORIES]
    ]
    rest = b.categories[PDF_TOP_CATEGORIES:]
    if rest:
        counts = [sum(c.counts[i] for c in rest) for i in range(3)]
        shares = [counts[i] / b.totals[i] if b.totals[i] else 0.0 for i in range(3)]
        rows.append(
            [
                f"其余 {len(rest)} 类",
                *[f"{pct(s)}（{n}）" for s, n in zip(shares, counts, strict=True)],
                points(shares[2] - shares[1]),
            ]
        )
    story.append(table(heads, rows, [40, 32, 32, 32, 30]))

    story += [Paragraph("三、上升明显的分类", h2), image(rising_png(b))]
    if b.rising:
        story.append(
            table(
                ["分类", "上期", "本期", "占比变化（百分点）"],
                [[r.path, r.previous, r.count, points(r.share_change)] for r in b.rising],
                [70, 25, 25, 40],
            )
        )

    story += [Paragraph("四、热点", h2), image(hotspots_png(b, area), 150)]
    if b.hotspots:
        story.append(
            table(
                ["序号", "热点", "件数", "首件", "末件"],
                [
                    [i, h.label, h.count, f"{_local(h.first_at):%m-%d}", f"{_local(h.last_at):%m-%d}"]
                    for i, h in enumerate(b.hotspots, 1)
                ],
                [12, 100, 15, 18, 18],
            )
        )

    story += [Paragraph("五、重复投诉", h2)]
    story.append(Paragraph(f"本期重复投诉 {b.repeats_total} 件，上期 {b.repeats_previous} 件。", body))
    if b.repeat_chains:
        story.append(
            table(
                ["首次工单", "分类", "地点", "本期重复次数"],
                [[r.number, r.category, r.address or r.place, r.repeats] for r in b.repeat_chains],
                [40, 40, 60, 25],
            )
        )

    story += [Paragraph("六、办理最慢的单位", h2), image(slowest_png(b))]
    if b.slowest:
        story.append(
            table(
                ["单位", "承办", "已答复", "答复用时中位数（小时）", "平均（小时）", "超期"],
                [
                    [s.name, s.handled, s.replied, _hours(s.median_hours), _hours(s.mean_hours), s.overdue]
                    for s in b.slowest
                ],
                [55, 15, 15, 30, 25, 15],
            )
        )

    sat = b.satisfaction
    story += [Paragraph("七、满意度", h2)]
    story.append(
        Paragraph(
            f"本期回访 {sat.callbacks} 件：满意 {sat.satisfied}，基本满意 {sat.basic}，不满意 {sat.unsatisfied}；"
            f"满意率 {pct(sat.rate)}（上期 {pct(sat.previous_rate)}，变化 {points(sat.change)} 个百分点）。",
            body,
        )
    )

    if b.annual is not None:
        from briefings.annual_exports import annual_pdf_story

        story += annual_pdf_story(b, table=table, image=image, body=body, h2=h2)

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
    )
    doc.build(story)
    return out.getvalue()


# -- Excel --------------------------------------------------------------------------------


def briefing_xlsx(b: Briefing, *, title: str) -> bytes:
    """One sheet per section, numbers as numbers (shares as fractions formatted as percents)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)

    def sheet(name: str, head: list[str], rows: list[list], percent_cols: tuple[int, ...] = ()) -> None:
        ws = wb.create_sheet(name)
        ws.append(safe_row(head))
        for c in ws[1]:
            c.font = bold
        for r in rows:
            ws.append(safe_row(r))
        for col in percent_cols:
            for row in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                for c in row:
                    c.number_format = "0.0%"
        for i, _h in enumerate(head, 1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = 16 if i > 1 else 28

    sheet(
        "概要",
        ["项目", "内容"],
        [
            ["标题", title],
            ["期间", f"{b.period.start} 至 {b.period.end}"],
            ["区域", b.area_name],
            ["生成时间", f"{_local(b.generated_at):%Y-%m-%d %H:%M}"],
            ["本期受理", int(b.volume.now)],
            ["上期受理", int(b.volume.before)],
            *[["要点", line] for line in b.headlines],
        ],
    )
    sheet(
        "渠道",
        ["渠道", "本期", "上期", "占比"],
        [[c.name, c.count, c.previous, c.share] for c in b.channels],
        percent_cols=(4,),
    )
    sheet(
        "分类占比",
        ["分类", *[f"{p.short_label}件数" for p in b.periods], *[f"{p.short_label}占比" for p in b.periods], "变化"],
        [[c.name, *c.counts, *c.shares, c.change] for c in b.categories],
        percent_cols=(5, 6, 7, 8),
    )
    sheet(
        "上升分类",
        ["分类", "上期", "本期", "上期占比", "本期占比", "占比变化"],
        [[r.path, r.previous, r.count, r.previous_share, r.share, r.share_change] for r in b.rising],
        percent_cols=(4, 5, 6),
    )
    sheet(
        "热点",
        ["序号", "热点", "分类", "乡镇（街道）", "件数", "首件", "末件"],
        [
            [
                i,
                h.label,
                h.category,
                h.township,
                h.count,
                f"{_local(h.first_at):%Y-%m-%d}",
                f"{_local(h.last_at):%Y-%m-%d}",
            ]
            for i, h in enumerate(b.hotspots, 1)
        ],
    )
    sheet(
        "重复投诉",
        ["首次工单", "分类", "地点", "地址", "本期重复次数", "最近一次"],
        [
            [r.number, r.category, r.place, r.address, r.repeats, f"{_local(r.latest_at):%Y-%m-%d %H:%M}"]
            for r in b.repeat_chains
        ],
    )
    sheet(
        "办理最慢单位",
        ["单位", "承办", "已答复", "答复用时中位数（小时）", "平均（小时）", "超期"],
        [[s.name, s.handled, s.replied, s.median_hours, s.mean_hours, s.overdue] for s in b.slowest],
    )
    sat = b.satisfaction
    sheet(
        "满意度",
        ["期间", "回访", "满意", "基本满意", "不满意", "满意率"],
        [
            [b.period.short_label, sat.callbacks, sat.satisfied, sat.basic, sat.unsatisfied, sat.rate],
            [b.periods[1].short_label, sat.previous_callbacks, sat.previous_satisfied, None, None, sat.previous_rate],
        ],
        percent_cols=(6,),
    )
    if b.annual is not None:
        from briefings.annual_exports import annual_sheets

        annual_sheets(b, sheet)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
