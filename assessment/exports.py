"""The month's ranking as Excel (openpyxl) and PDF (reportlab, with a matplotlib chart)."""

from __future__ import annotations

import io

from assessment.metrics import GROUPS, AnnualScore, UnitScore
from core.exports import safe_row

GROUP_NAMES = {
    "central_districts": "市内五区",
    "central_townships": "中心城区乡镇（街道）",
    "counties": "其他县（市、区）",
    "departments": "市直单位",
}
CJK_FONT = "STSong-Light"  # a CID font: Chinese renders in every PDF viewer without embedding


def month_xlsx(period: str, tables: dict[str, list[UnitScore]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for group in GROUPS:
        ws = wb.create_sheet(GROUP_NAMES[group])
        ws.append(["排名", "单位", "得分", "办件数", "签收及时率", "回复及时率", "满意率", "约谈"])
        for u in tables[group]:
            ws.append(
                safe_row(
                    [
                        u.rank,
                        u.name,
                        u.score,
                        u.counts.get("handled", 0),
                        u.rates.get("sign_on_time_rate"),
                        u.rates.get("reply_on_time_rate"),
                        u.rates.get("satisfaction_rate"),
                        "是" if u.talk else "",
                    ]
                )
            )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _chart_png(rows: list[UnitScore]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    font = font_manager.FontProperties(fname="/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    scored = [u for u in rows if u.score is not None]
    fig, ax = plt.subplots(figsize=(6, 2.6), dpi=120)
    ax.barh([u.name for u in scored][::-1], [u.score for u in scored][::-1], color="#2b6cb0")
    ax.set_xlim(0, 100)
    for label in ax.get_yticklabels():
        label.set_fontproperties(font)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def _titled_pdf(title: str):
    """An A4 canvas with the CJK font registered and the title drawn: (canvas, buffer, page height, y)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    height = A4[1]
    y = height - 60
    c.setFont(CJK_FONT, 18)
    c.drawString(50, y, title)
    return c, out, height, y


def month_pdf(period: str, tables: dict[str, list[UnitScore]]) -> bytes:
    from reportlab.lib.utils import ImageReader

    c, out, height, y = _titled_pdf(f"平顶山市12345民呼必应 {period} 月度考核排名")
    y -= 20
    for group in GROUPS:
        rows = tables[group][:12]
        if y < 300:
            c.showPage()
            y = height - 60
        c.setFont(CJK_FONT, 14)
        y -= 20
        c.drawString(50, y, GROUP_NAMES[group])
        if any(u.score is not None for u in rows):
            img = ImageReader(io.BytesIO(_chart_png(rows)))
            y -= 160
            c.drawImage(img, 50, y, width=370, height=160)
        c.setFont(CJK_FONT, 10)
        for u in rows:
            y -= 14
            score = "—" if u.score is None else f"{u.score:.2f}"
            talk = "  约谈" if u.talk else ""
            c.drawString(60, y, f"{u.rank or '—'}  {u.name}  {score}  办件 {u.counts.get('handled', 0)}{talk}")
    c.showPage()
    c.save()
    return out.getvalue()


HONOUR = "优质服务热线单位"


def year_xlsx(year: int, results: dict[str, list[AnnualScore]]) -> bytes:
    """The year's results [AR-4]: one sheet per group, the mean of the months and the honours."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for group in GROUPS:
        ws = wb.create_sheet(GROUP_NAMES[group])
        ws.append(["排名", "单位", "年度得分（月度平均）", "计分月数", "荣誉", "公开说明次数"])
        for r in results[group]:
            ws.append(safe_row([r.rank, r.name, r.score, r.months, HONOUR if r.honour else "", r.public_statements]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def year_pdf(year: int, results: dict[str, list[AnnualScore]]) -> bytes:
    """The year's results and honours [AR-4] as a PDF."""
    c, out, height, y = _titled_pdf(f"平顶山市12345民呼必应 {year} 年度考核结果")
    y -= 24
    c.setFont(CJK_FONT, 12)
    honoured = [r for g in GROUPS for r in results[g] if r.honour]
    c.drawString(50, y, f"{year}年度{HONOUR}：" + ("、".join(r.name for r in honoured) or "—"))
    for group in GROUPS:
        y -= 26
        if y < 120:
            c.showPage()
            y = height - 60
        c.setFont(CJK_FONT, 14)
        c.drawString(50, y, GROUP_NAMES[group])
        c.setFont(CJK_FONT, 10)
        for r in results[group][:40]:
            y -= 14
            if y < 60:
                c.showPage()
                y = height - 60
                c.setFont(CJK_FONT, 10)
            score = "—" if r.score is None else f"{r.score:.2f}"
            honour = f"  {HONOUR}" if r.honour else ""
            c.drawString(60, y, f"{r.rank or '—'}  {r.name}  {score}（{r.months}个月）{honour}")
    c.showPage()
    c.save()
    return out.getvalue()
