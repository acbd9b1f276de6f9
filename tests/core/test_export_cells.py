"""Every CSV and XLSX export neutralises a text cell a spreadsheet would run as a formula, and the
Open311 XML list stays well-formed whatever a citizen typed [issue 18: exports and feeds].

The attacker's text is planted where each export takes it from (a login name, an office or category
name, an imported row, a ticket's description); each export must write it with a leading quote."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from assessment.store import store_month
from audit.models import AuditEntry
from dispatch.models import Category, Ticket
from grid.models import Office
from open311.models import Open311Key
from tests.assessment.test_metrics import at, handled, water_and_heating_march
from tests.briefings.test_figures import GUANGMINGLU, scenario, wednesday  # noqa: F401 (fixtures)
from tests.briefings.test_pages import drain_hotspot  # noqa: F401 (fixture)
from tests.helpers import CHANGQING, label
from tests.loaders.test_importer import HEADER, rows, write_csv

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example","x")'


def assert_neutralised(cells) -> None:
    """The planted formula is there, as text starting with a quote, and no cell starts like a formula."""
    cells = [c for c in cells if isinstance(c, str)]
    assert any(c == "'" + EVIL or c.startswith("'" + EVIL) for c in cells), "the planted text is missing"
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def csv_cells(content: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(content.lstrip("\ufeff"))) for c in row]


def xlsx_cells(content: bytes) -> list:
    wb = load_workbook(io.BytesIO(content))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{ws.title}!{c.coordinate} is a formula"
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def fail_login_as_evil() -> None:
    Client(REMOTE_ADDR="192.0.2.9").post("/accounts/login/", {"username": EVIL, "password": "x"})
    assert AuditEntry.objects.filter(action="auth.login_failed", username=EVIL).exists()


def test_audit_export_csv_neutralises_a_failed_login_named_as_a_formula(as_user):
    fail_login_as_evil()
    today = timezone.localdate()
    resp = as_user("admin").get(f"/audit/export.csv?from={today}&to={today}&action=auth.login_failed")
    assert resp.status_code == 200
    assert_neutralised(csv_cells(b"".join(resp.streaming_content).decode()))


def test_manage_py_export_audit_neutralises_it_too(tmp_path):
    fail_login_as_evil()
    today = timezone.localdate()
    out = tmp_path / "audit.csv"
    call_command("export_audit", "--from", str(today), "--to", str(today), "--output", str(out))
    assert_neutralised(csv_cells(out.read_text(encoding="utf-8")))


@pytest.fixture
def evil_water():
    """The hand-computed March of test_assessment, the water department renamed to a formula."""
    water, heating = water_and_heating_march()
    Office.objects.filter(pk=water.pk).update(name=EVIL)
    water.refresh_from_db()
    return water


def test_assessment_month_xlsx_neutralises_a_unit_name(as_user, evil_water):
    store_month(2026, 3, now=at(15, month=4))
    resp = as_user("city_dispatcher").get("/assessment/2026-03/?format=xlsx")
    assert resp.status_code == 200
    assert_neutralised(xlsx_cells(resp.content))


def test_assessment_drill_down_csv_neutralises_a_unit_name(as_user, evil_water):
    store_month(2026, 3, now=at(15, month=4))
    resp = as_user("city_dispatcher").get(f"/assessment/2026-03/unit/{evil_water.id}/?format=csv")
    assert resp.status_code == 200
    assert_neutralised(csv_cells(resp.content.decode("utf-8")))


def test_accountability_csv_neutralises_a_unit_name(as_user):
    water, heating = Office.objects.filter(kind=Office.Kind.DEPARTMENT).order_by("code")[:2]
    Office.objects.filter(pk=water.pk).update(name=EVIL)
    for month in (2, 3):  # test_assessment's scenario: water is last two months in a row, a talk each
        handled(water, 10 + month, signed=at(2, 12, month), overdue=True, month=month)
        handled(
            heating,
            10 + month,
            signed=at(2, 9, month),
            contacted=at(2, 11, month),
            replied=at(4, 9, month),
            closed=at(5, 9, month),
            satisfaction="satisfied",
            reviews=["accepted"],
            month=month,
        )
    resp = as_user("city_dispatcher").get("/assessment/2026-03/accountability/?format=csv")
    assert resp.status_code == 200
    assert_neutralised(csv_cells(resp.content.decode("utf-8")))


def test_briefing_xlsx_neutralises_a_category_name(as_user, drain_hotspot):  # noqa: F811
    Category.objects.filter(code="0101").update(name=EVIL)
    cache.clear()
    resp = as_user("city_dispatcher").get(f"/briefings/2026-W12/?format=xlsx&area={GUANGMINGLU}")
    assert resp.status_code == 200
    assert_neutralised(xlsx_cells(resp.content))


def test_import_rejects_file_neutralises_the_rejected_rows_text(tmp_path):
    data = rows()
    data[-1][HEADER.index("caller_phone")] = "not a phone"
    data[-1][HEADER.index("description")] = EVIL
    path = tmp_path / "legacy.csv"
    write_csv(path, data)
    call_command("import_tickets", str(path), verbosity=0)
    assert_neutralised(csv_cells((tmp_path / "legacy.csv.rejects.csv").read_text(encoding="utf-8-sig")))


# -- XML-invalid characters: stripped at intake, never emitted ------------------------------------


def test_a_control_character_is_stripped_at_intake_and_requests_xml_parses(client):
    key = Open311Key.objects.create(name="平顶山便民APP", channel="app")
    lon, lat = label(CHANGQING)
    body = {
        "api_key": key.key,
        "service_code": "0701",
        "lat": f"{lat:.6f}",
        "long": f"{lon:.6f}",
        "description": "19号楼暖气管道漏水a\x0bb",
        "address_string": "长青社区\x0c19号楼",
        "first_name": "芳\x01",
        "last_name": "王",
        "phone": "13812341234",
    }
    resp = client.post("/open311/v2/requests.json", body)
    assert resp.status_code == 200, resp.content
    number = resp.json()[0]["service_request_id"]
    t = Ticket.objects.get(number=number)
    assert (t.description, t.address, t.caller_name) == ("19号楼暖气管道漏水ab", "长青社区19号楼", "王芳")
    root = ET.fromstring(client.get("/open311/v2/requests.xml").content)
    assert "19号楼暖气管道漏水ab" in [r.findtext("description") for r in root.findall("request")]


def test_text_that_came_in_another_way_is_never_emitted_in_xml(client):
    t = Ticket.objects.filter(status__in=("closed", "archived")).first() or Ticket.objects.first()
    if t is None:
        from tests.helpers import make_ticket

        t = make_ticket()
    Ticket.objects.filter(pk=t.pk).update(description="x\x0by\ufffez\x01", address="a\x1fb")
    content = client.get(f"/open311/v2/requests/{t.number}.xml").content
    [req] = ET.fromstring(content).findall("request")
    assert req.findtext("description") == "xyz" and req.findtext("address") == "ab"


def test_a_description_of_control_characters_only_is_refused_with_a_400(client):
    key = Open311Key.objects.create(name="平顶山便民APP", channel="app")
    lon, lat = label(CHANGQING)
    body = {"api_key": key.key, "service_code": "0701", "lat": f"{lat:.6f}", "long": f"{lon:.6f}"}
    body.update({"description": "\x01\x02", "first_name": "芳", "last_name": "王", "phone": "13812341234"})
    resp = client.post("/open311/v2/requests.json", body)
    assert resp.status_code == 400 and "description" in resp.json()[0]["description"]
