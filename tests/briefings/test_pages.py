"""The briefing pages and downloads [AN-1][AN-2]: who may read which area, bad periods,
the page with its hotspots and charts, the PDF (first page rasterised) and the workbook."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point
from django.core.cache import cache

from dispatch.models import Category, Ticket
from tests.briefings.test_figures import GUANGMINGLU, scenario, wednesday  # noqa: F401 (fixture)
from tests.helpers import CHANGQING, label

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(autouse=True)
def _no_stale_briefings():
    cache.clear()  # a cached briefing of another test's (rolled-back) tickets must not be served
    yield
    cache.clear()


@pytest.fixture
def drain_hotspot(scenario):  # noqa: F811
    """Six drain tickets within ~150 m in 长青社区 during W12: a hotspot of the week."""
    lon, lat = label(CHANGQING)
    cat = Category.objects.get(code="0101")
    return [
        Ticket.objects.create(
            number=f"HS-{i}",
            channel="phone",
            kind="complaint",
            description="x",
            status="archived",
            category=cat,
            point=Point(lon + 0.0003 * i, lat + 0.0002 * (i % 2), srid=4326),
            county_code=GUANGMINGLU[:6],
            township_code=GUANGMINGLU,
            community_code=CHANGQING,
            received_at=wednesday(12, 9 + i),
        )
        for i in range(6)
    ]


@pytest.mark.parametrize(
    "username, url, status",
    [
        ("city_dispatcher", "/briefings/2026-W12/", 200),
        ("wall_viewer", "/briefings/2026-W12/?area=410423101", 200),  # the center reads any area
        ("xinhua_dispatcher", "/briefings/2026-W12/", 200),  # its own county by default
        ("xinhua_dispatcher", f"/briefings/2026-W12/?area={GUANGMINGLU}", 200),  # a township inside it
        ("xinhua_dispatcher", "/briefings/2026-W12/?area=410400", 403),  # not the whole city
        ("xinhua_dispatcher", "/briefings/2026-W12/?area=410482", 403),  # not another county
        ("guangminglu_handler", "/briefings/2026-W12/", 200),  # the township's own unit
        ("guangminglu_handler", "/briefings/2026-W12/?area=410423101", 403),
        ("changqing_head", "/briefings/2026-W12/", 200),  # a workstation's head, for the community
        ("changqing_grid", "/briefings/2026-W12/", 403),  # a grid worker is not a unit head
        ("water_handler", "/briefings/2026-W12/", 403),  # a department has no area of its own
        ("city_dispatcher", "/briefings/2026-W12/?area=999999", 404),
        ("guangminglu_handler", "/briefings/", 200),
        ("changqing_grid", "/briefings/", 403),
        ("changqing_grid", "/briefings/2026-W12/chart/channels.png", 403),
    ],
)
def test_who_may_read_a_briefing_of_which_area(as_user, username, url, status):
    assert as_user(username).get(url).status_code == status


def test_a_login_is_required(client):
    r = client.get("/briefings/2026-W12/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_a_bad_or_future_period_says_what_is_wrong(as_user):
    client = as_user("city_dispatcher")
    r = client.get("/briefings/2026-13/")
    assert r.status_code == 400 and "13" in r.content.decode()
    r = client.get("/briefings/2025-W53/")
    assert r.status_code == 400 and "53" in r.content.decode()
    r = client.get("/briefings/2099-01/")
    assert r.status_code == 404 and "2099-01" in r.content.decode()
    assert client.get("/briefings/2026-W12/?format=doc").status_code == 400
    assert client.get("/briefings/2026-W12/chart/pie.png").status_code == 404


def test_the_page_shows_the_figures_and_the_hotspot_with_its_map_AN_2(as_user, drain_hotspot):
    client = as_user("guangminglu_handler")
    page = client.get("/briefings/2026-W12/").content.decode()
    # 14 scenario tickets + 6 of the hotspot = 20 in W12; the 下汤镇 one is outside the township.
    assert 'id="kpi-volume">20<' in page
    assert "光明路街道" in page and "下水道堵塞" in page
    assert f"/maps/report/{GUANGMINGLU}/?from=2026-03-16&amp;to=2026-03-22&amp;download=0" in page
    assert "/briefings/2026-W12/chart/hotspots.png" in page and "/briefings/2026-W11/" in page
    png = client.get("/briefings/2026-W12/chart/hotspots.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_pdf_first_page_is_not_blank_and_the_workbook_has_every_section_AN_1(as_user, drain_hotspot, tmp_path):
    from openpyxl import load_workbook
    from PIL import Image

    client = as_user("city_dispatcher")
    xlsx = client.get(f"/briefings/2026-W12/?format=xlsx&area={GUANGMINGLU}")
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].endswith('.xlsx"')
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb.sheetnames == ["概要", "渠道", "分类占比", "上升分类", "热点", "重复投诉", "办理最慢单位", "满意度"]
    assert [c.value for c in wb["渠道"]["A"]][:4] == ["渠道", "12345电话", "网站", "微信"]
    assert wb["渠道"]["B2"].value == 10 + 6  # the hotspot's six came by phone too
    assert wb["上升分类"]["A2"].value == "交通管理/停车秩序"
    assert wb["热点"]["E2"].value == 6
    assert wb["满意度"]["F2"].value == pytest.approx(0.8)

    pdf = client.get(f"/briefings/2026-W12/?format=pdf&area={GUANGMINGLU}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (tmp_path / "b.pdf").write_bytes(pdf.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", tmp_path / "b.pdf", tmp_path / "p"], check=True
    )
    page = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    lo, hi = page.getextrema()
    assert lo < 100 and hi > 200  # ink on paper
    # Not only the chart: the title's band at the top of the page has ink of its own.
    title_band = page.crop((0, 0, page.width, page.height // 12))
    assert title_band.getextrema()[0] < 100
    ARTIFACTS.mkdir(exist_ok=True)
    page.save(ARTIFACTS / "briefing-page1.png")
