"""The written supervision notice (督办单) as a PDF [SV-1]: its number, the unit, the ticket (no caller: the
notice goes to the unit, which sees the caller in its own ticket page if it leads [IN-2]), what to do and by when."""

from __future__ import annotations

import io
import textwrap

from django.utils import timezone

from .models import Supervision

CJK_FONT = "STSong-Light"  # a CID font: Chinese renders in every PDF viewer without embedding


def _lines(text: str, width: int = 38) -> list[str]:
    out = []
    for paragraph in (text or "").splitlines() or [""]:
        out += textwrap.wrap(paragraph, width) or [""]
    return out


def supervision_pdf(notice: Supervision) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    ticket = notice.ticket
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setTitle(f"督办单 {notice.number}")
    width, height = A4
    y = height - 70
    c.setFont(CJK_FONT, 20)
    c.drawCentredString(width / 2, y, "平顶山市12345政务服务便民热线督办单")
    y -= 26
    c.setFont(CJK_FONT, 11)
    c.drawCentredString(width / 2, y, f"编号：{notice.number}")
    y -= 34
    local = timezone.localtime
    rows = [
        ("督办单位", notice.issued_by_office.name),
        ("承办单位", notice.to_office.name),
        ("工单编号", ticket.number),
        ("诉求类别", ticket.category.path if ticket.category_id else "未分类"),
        ("诉求地点", ticket.place_names or ticket.address or "—"),
        ("办结时限", f"{local(ticket.resolve_by):%Y-%m-%d %H:%M}" if ticket.resolve_by else "—"),
        ("签发时间", f"{local(notice.issued_at):%Y-%m-%d %H:%M}"),
        ("反馈期限", f"{local(notice.answer_due):%Y-%m-%d %H:%M}" if notice.answer_due else "—"),
    ]
    c.setFont(CJK_FONT, 12)
    for label, value in rows:
        c.drawString(60, y, f"{label}：")
        c.drawString(150, y, str(value))
        y -= 22
    for title, text in (("诉求内容", ticket.description), ("督办事项", notice.note)):
        y -= 8
        c.setFont(CJK_FONT, 12)
        c.drawString(60, y, f"{title}：")
        y -= 20
        c.setFont(CJK_FONT, 11)
        for line in _lines(text)[:14]:
            c.drawString(80, y, line)
            y -= 17
    y -= 16
    c.setFont(CJK_FONT, 11)
    c.drawString(60, y, "请承办单位于反馈期限前在系统中书面反馈办理情况；逾期未反馈的，将列入全市通报。")
    if notice.answered_at:
        y -= 26
        c.drawString(60, y, f"反馈（{local(notice.answered_at):%Y-%m-%d %H:%M}）：")
        for line in _lines(notice.answer)[:8]:
            y -= 17
            c.drawString(80, y, line)
    c.drawRightString(width - 60, 80, notice.issued_by_office.name)
    c.drawRightString(width - 60, 62, f"{local(notice.issued_at):%Y年%m月%d日}")
    c.showPage()
    c.save()
    return out.getvalue()
