"""A year's own sections in the briefing's chart, PDF and workbook [AN-1][AR-4]: the 12-month
trend against the previous year, the difficult problems, the typical cases and the honours."""

from __future__ import annotations

from django.utils import timezone

from briefings.exports import BLUE, GREY, _cjk_labels, _empty, _figure, _font, _png
from briefings.figures import Briefing


def trend_png(b: Briefing) -> bytes:
    """Tickets per month: the year (line with markers) against the previous year (grey)."""
    plt, fig, ax = _figure(7.2, 3.0)
    trend = b.annual.trend if b.annual else []
    if not trend or not any(m.count or m.previous for m in trend):
        return _empty(plt, fig, ax)
    x = list(range(len(trend)))
    ax.plot(x, [m.previous for m in trend], color=GREY, marker="o", linewidth=1.5, label=b.periods[1].short_label)
    ax.plot(x, [m.count for m in trend], color=BLUE, marker="o", linewidth=2.2, label=b.period.short_label)
    for i, m in enumerate(trend):
        if m.count:
            ax.annotate(str(m.count), (i, m.count), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=7)
    ax.set_xticks(x, [m.label for m in trend])
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # tickets come whole
    ax.set_ylim(bottom=0)
    ax.set_ylabel("件", fontproperties=_font(), rotation=0, labelpad=10)
    # Above the plot: January's point sits where a corner legend would be.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    ax.set_ylim(top=max(max(m.count, m.previous) for m in trend) * 1.15 + 1)
    _cjk_labels(ax)
    return _png(plt, fig)


def annual_pdf_story(b: Briefing, *, table, image, body, h2) -> list:
    """The PDF's flowables for a year's own sections (reportlab Paragraph/Table from the caller's helpers)."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    h3 = ParagraphStyle("h3", parent=body, fontSize=11, leading=16, spaceBefore=6, spaceAfter=3, keepWithNext=1)
    a = b.annual
    story = [Paragraph("八、月度趋势（与上年同月比较）", h2), image(trend_png(b))]
    story.append(
        table(
            ["月份", b.period.short_label, b.periods[1].short_label],
            [[m.label, m.count, m.previous] for m in a.trend],
            [40, 40, 40],
        )
    )
    story += [Paragraph("九、典型案例与难点问题", h2)]
    story.append(
        Paragraph(
            "难点问题：年内同一分类、同一乡镇（街道）的工单中，重复诉求、回访不满意或被重办的工单合计不少于3件者，"
            "按这类工单数排序；典型案例：前5个难点问题中各取被重复诉求次数最多的一件，没有重复诉求的取一件回访不满意或被重办的工单（来电人信息已隐去）。",
            body,
        )
    )
    story.append(Paragraph("难点问题", h3))
    if not a.difficult:
        story.append(Paragraph("本年没有达到难点问题标准的分类与乡镇（街道）。", body))
    if a.difficult:
        story.append(
            table(
                ["分类", "乡镇（街道）", "工单", "重复", "不满意", "重办", "难点工单"],
                [
                    [p.category, p.township, p.tickets, p.repeats, p.unsatisfied, p.reworked, p.troubled]
                    for p in a.difficult
                ],
                [45, 35, 15, 15, 15, 15, 18],
            )
        )
    if a.typical:
        story.append(Paragraph("典型案例", h3))
        story.append(
            table(
                ["工单", "受理", "分类／地点", "诉求摘要", "重复"],
                [
                    [
                        c.number,
                        f"{timezone.localtime(c.received_at):%m-%d}",
                        f"{c.category}／{c.township} {c.address}",
                        c.excerpt,
                        c.repeats,
                    ]
                    for c in a.typical
                ],
                [33, 13, 45, 70, 12],
            )
        )
    if a.honours:
        story += [Paragraph("十、年度优质服务热线单位", h2)]
        story.append(table(["类别", "单位", "年度得分"], [[h.group, h.name, h.score] for h in a.honours], [60, 70, 30]))
    return story


def annual_sheets(b: Briefing, sheet) -> None:
    """The workbook's sheets for a year's own sections (sheet(name, head, rows, percent_cols))."""
    a = b.annual
    sheet(
        "月度趋势",
        ["月份", b.period.short_label, b.periods[1].short_label],
        [[m.label, m.count, m.previous] for m in a.trend],
    )
    sheet(
        "难点问题",
        ["分类", "乡镇（街道）", "工单", "重复诉求", "回访不满意", "重办", "难点工单", "难点工单占比"],
        [
            [p.category, p.township, p.tickets, p.repeats, p.unsatisfied, p.reworked, p.troubled, p.troubled_share]
            for p in a.difficult
        ],
        percent_cols=(8,),
    )
    sheet(
        "典型案例",
        ["工单", "受理时间", "分类", "乡镇（街道）", "地址", "诉求摘要", "被重复诉求次数", "不满意", "重办", "状态"],
        [
            [
                c.number,
                f"{timezone.localtime(c.received_at):%Y-%m-%d %H:%M}",
                c.category,
                c.township,
                c.address,
                c.excerpt,
                c.repeats,
                "是" if c.unsatisfied else "",
                "是" if c.reworked else "",
                c.status,
            ]
            for c in a.typical
        ],
    )
    if a.honours:
        sheet(
            "年度优质服务热线单位",
            ["类别", "单位", "年度得分", "名次"],
            [[h.group, h.name, h.score, h.rank] for h in a.honours],
        )
