"""Bulk import from CSV and Excel: routed like any intake, bad rows kept in a rejects file, safe to re-run."""

import csv
import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from dispatch.models import Status, Ticket
from tests.helpers import CHANGQING, XIATANG, label

pytestmark = pytest.mark.django_db

HEADER = [
    "external_id",
    "channel",
    "kind",
    "urgency",
    "category",
    "description",
    "lon",
    "lat",
    "caller_name",
    "caller_phone",
    "received_at",
]


def rows():
    cq, xt = label(CHANGQING), label(XIATANG)
    return [
        [
            "old-1",
            "phone",
            "complaint",
            "general",
            "0101",
            "长青社区下水道堵塞",
            *cq,
            "王芳",
            "13812341234",
            "2026-10-08 09:15:00",
        ],
        [
            "old-2",
            "web",
            "complaint",
            "urgent",
            "0701",
            "长青社区暖气漏水",
            *cq,
            "李雷",
            "13911112222",
            "2026-11-20 20:00:00",
        ],
        ["old-3", "phone", "report", "general", "0103", "下汤镇集市占道经营", *xt, "张伟", "13700003333", ""],
        ["old-4", "phone", "complaint", "general", "0101", "下水道堵了", *cq, "赵六", "call me", ""],
        [
            "old-5",
            "phone",
            "complaint",
            "general",
            "",
            "想反映一个情况但说不清楚归谁",
            "",
            "",
            "孙七",
            "13600004444",
            "",
        ],
    ]


def write_csv(path, data, encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(data)


def test_csv_import_routes_rows_and_keeps_bad_rows_in_a_rejects_file(tmp_path, capsys):
    path = tmp_path / "legacy.csv"
    write_csv(path, rows())
    call_command("import_tickets", str(path), verbosity=1)
    out = capsys.readouterr()
    assert "4 imported" in out.out and "1 rejected" in out.out
    assert "import" in out.err  # the progress bar
    t1, t2, t3, t5 = (Ticket.objects.get(external_id=f"old-{i}") for i in (1, 2, 3, 5))
    assert t1.assignments.get().office.code == f"WS-{CHANGQING}"
    assert t1.received_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%m-%d %H:%M") == "10-08 09:15"
    assert t1.number.startswith("PDS-20261008-")
    assert t2.urgency == "urgent" and t2.assignments.get(role="lead").office.code == "DEPT-heating"
    assert t3.center.code == "SC-410423"
    assert t5.status == Status.PENDING_DISPATCH
    assert t1.events.get().action == "accept_intake"
    with open(tmp_path / "legacy.csv.rejects.csv", encoding="utf-8-sig") as f:
        [reject] = list(csv.DictReader(f))
    assert reject["row"] == "5" and "caller_phone" in reject["error"] and reject["description"] == "下水道堵了"


def test_running_an_import_again_adds_nothing(tmp_path):
    path = tmp_path / "legacy.csv"
    write_csv(path, rows())
    call_command("import_tickets", str(path), verbosity=0)
    count = Ticket.objects.count()
    call_command("import_tickets", str(path), verbosity=0)
    assert Ticket.objects.count() == count == 4


def test_rows_without_external_id_are_idempotent_by_file_and_row(tmp_path):
    path = tmp_path / "no-ids.csv"
    write_csv(path, [["", *r[1:]] for r in rows()[:2]])
    call_command("import_tickets", str(path), verbosity=0)
    call_command("import_tickets", str(path), verbosity=0)
    assert Ticket.objects.count() == 2


def test_excel_with_chinese_headers_and_labels(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["原工单号", "渠道", "类型", "紧急程度", "分类", "诉求内容", "经度", "纬度", "姓名", "电话", "受理时间"])
    lon, lat = label(CHANGQING)
    ws.append(
        [
            "xl-1",
            "微信",
            "投诉",
            "紧急",
            "城市管理/下水道堵塞",
            "19号楼下水道堵了",
            lon,
            lat,
            "王芳",
            13812341234,
            dt.datetime(2026, 11, 1, 8, 0),
        ]
    )
    ws.append(
        ["xl-2", "电话", "咨询", "一般", "0801", "长青社区明天停水吗，几点恢复", lon, lat, "李雷", "13911112222", None]
    )
    path = tmp_path / "tickets.xlsx"
    wb.save(path)
    call_command("import_tickets", str(path), verbosity=0)
    t = Ticket.objects.get(external_id="xl-1")
    assert (t.channel, t.kind, t.urgency, t.caller_phone) == ("wechat", "complaint", "urgent", "13812341234")
    assert t.category.code == "0101" and t.status == Status.DISPATCHED
    assert Ticket.objects.get(external_id="xl-2").kind == "consultation"


def test_gbk_csv_from_excel_is_read(tmp_path):
    path = tmp_path / "gbk.csv"
    write_csv(path, rows()[:1], encoding="gbk")
    call_command("import_tickets", str(path), verbosity=0)
    assert Ticket.objects.get().description == "长青社区下水道堵塞"


def test_a_file_without_a_description_column_is_refused_with_a_message(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="description"):
        call_command("import_tickets", str(path), verbosity=0)
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_tickets", str(tmp_path / "missing.csv"), verbosity=0)
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(CommandError, match="csv"):
        call_command("import_tickets", str(tmp_path / "x.pdf"), verbosity=0)
