"""Annual briefings [AN-1][AR-4]: the year as a period, its figures against the previous year on a
hand-counted scenario, the difficult problems and typical cases, who may read them, and bad years.

Two years in 光明路街道 (GML) and 下汤镇 (XT), every ticket at 10:00 local time:

  2025  0101 drains GML: 03-10 (a1), 03-20, 07-05 (repeat of a1)          3
        0401 parking GML: 05-12, 05-12 (+1 drain refused 05-12, not counted) 2
        0801 water XT: 10-10 (callback satisfied), 10-11 (a8, unsatisfied)   2   = 7
  2026  0101 drains GML: 02-10 (R), 02-11 web, 02-12 web, 08-01 (R1 repeat of R),
        08-02 (R2 repeat of R1), 08-03 (R3 repeat of R), 08-04 (U, unsatisfied) 7
        0401 parking GML: 03-05 (P1, unsatisfied), 03-06 (P2 repeat of P1)     2
        0801 water XT: 10-10 (W1 satisfied, then a rework round), 10-11 and
        10-12 (repeats of a8, the 2025 ticket)                                 3   = 12
        (+1 drain refused, not counted)

So 2026: 12 tickets against 7 (+71.4 %); phone 10, web 2; 城市管理 7/12; 6 repeats (2025: 1);
3 callbacks, 1 satisfied (33.3 %; 2025: 1 of 2, 50 %). Troubled tickets (repeat, unsatisfied or
reworked): drains GML 4 (R1, R2, R3, U), water XT 3 (two repeats, W1's rework), parking GML 2
(below the minimum of 3). Typical cases: for drains GML, R (its chain holds R1, R2, R3); for
water XT, a8 of 2025 (two repeats received in 2026) rather than the reworked W1.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from briefings.annual import DIFFICULT_MIN_TROUBLED, compute_annual
from briefings.figures import compute_briefing
from briefings.periods import BadPeriod, Period, current_period, parse_period
from dispatch.models import Category, HandlingRound, Ticket

pytestmark = pytest.mark.django_db

TZ = timezone.get_current_timezone()
GML, XT = "410402002", "410423101"
CALLER_NAME, CALLER_PHONE = "王小明", "13912345678"
_seq = itertools.count()


def at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(10), tzinfo=TZ)


def ticket(day: str, category: str, township: str = GML, *, prefix: str = "Y", **extra) -> Ticket:
    return Ticket.objects.create(
        number=f"{prefix}-{day}-{next(_seq):04d}",
        channel=extra.pop("channel", "phone"),
        kind="complaint",
        description=extra.pop("description", "x"),
        status=extra.pop("status", "archived"),
        category=Category.objects.get(code=category),
        county_code=township[:6],
        township_code=township,
        received_at=at(day),
        **extra,
    )


def called_back(t: Ticket, day: str, satisfaction: str) -> None:
    t.callback_at, t.satisfaction = at(day), satisfaction
    t.save(update_fields=["callback_at", "satisfaction"])


@pytest.fixture
def two_years():
    a1 = ticket("2025-03-10", "0101", prefix="A")
    ticket("2025-03-20", "0101", prefix="A")
    ticket("2025-07-05", "0101", prefix="A", repeat_of=a1)
    ticket("2025-05-12", "0401", prefix="A")
    ticket("2025-05-12", "0401", prefix="A")
    ticket("2025-05-12", "0101", prefix="A", status="refused", refusal_reason="emergency")
    called_back(ticket("2025-10-10", "0801", XT, prefix="A"), "2025-10-15", "satisfied")
    a8 = ticket("2025-10-11", "0801", XT, prefix="A")
    called_back(a8, "2025-10-16", "unsatisfied")

    r = ticket(
        "2026-02-10",
        "0101",
        prefix="R",
        description=f"我叫{CALLER_NAME}，电话{CALLER_PHONE}，光明路下水道堵塞，污水漫到路面",
        caller_name=CALLER_NAME,
        caller_phone=CALLER_PHONE,
    )
    ticket("2026-02-11", "0101", channel="web")
    ticket("2026-02-12", "0101", channel="web")
    r1 = ticket("2026-08-01", "0101", repeat_of=r)
    ticket("2026-08-02", "0101", repeat_of=r1)
    ticket("2026-08-03", "0101", repeat_of=r)
    called_back(ticket("2026-08-04", "0101"), "2026-08-20", "unsatisfied")
    p1 = ticket("2026-03-05", "0401")
    called_back(p1, "2026-03-10", "unsatisfied")
    ticket("2026-03-06", "0401", repeat_of=p1)
    w1 = ticket("2026-10-10", "0801", XT)
    called_back(w1, "2026-10-20", "satisfied")
    Ticket.objects.filter(pk=w1.pk).update(step=2)  # a rework starts the ticket's second round
    HandlingRound.objects.update_or_create(
        ticket=w1, step=2, defaults={"kind": "rework", "started_at": at("2026-10-21")}
    )
    ticket("2026-10-11", "0801", XT, repeat_of=a8)
    ticket("2026-10-12", "0801", XT, repeat_of=a8)
    ticket("2026-05-05", "0101", status="refused", refusal_reason="emergency")
    return {"r": r, "a8": a8, "w1": w1}


AFTER = at("2027-01-05")  # both years are over


def test_a_year_parses_with_its_bounds_and_steps_back_AN_1():
    y = parse_period("2026")
    assert (y.kind, y.code, y.start, y.end, y.days) == ("year", "2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31), 365)
    assert parse_period("2024").days == 366
    assert (y.previous(), y.next()) == (Period("year", 2025), Period("year", 2027))
    start, end = y.bounds()
    assert (start.isoformat(), end.isoformat()) == ("2026-01-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00")
    assert [m.code for m in y.months()][::11] == ["2026-01", "2026-12"]
    assert current_period("year", today=dt.date(2026, 12, 6)) == y
    for bad in ("0", "0000", "1999", "2101", "99999", "abcd", "2026-", " 20 26"):
        with pytest.raises(BadPeriod):
            parse_period(bad)


def test_the_years_figures_against_the_previous_year_AN_1(two_years):
    scope = Ticket.objects.filter(township_code__in=[GML, XT])
    b = compute_briefing(scope, parse_period("2026"), now=AFTER)
    assert b.complete and (b.volume.now, b.volume.before) == (12, 7)
    assert round(b.volume.relative, 3) == 0.714
    assert {c.code: (c.count, c.previous) for c in b.channels} == {"phone": (10, 7), "web": (2, 0)}
    top = b.categories[0]
    assert (top.name, top.counts) == ("城市管理", [0, 3, 7])
    assert (b.repeats_total, b.repeats_previous) == (6, 1)
    sat = b.satisfaction
    assert (sat.callbacks, sat.satisfied, sat.unsatisfied, sat.previous_callbacks, sat.previous_satisfied) == (
        3,
        1,
        2,
        2,
        1,
    )
    assert round(sat.change, 3) == round(1 / 3 - 1 / 2, 3)
    # The whole city from the rollups' cells counts the same (nothing else happened in these years' tests).
    city = compute_briefing(Ticket.objects.all(), parse_period("2026"), now=AFTER, rollup_area="")
    assert (city.volume.now, city.volume.before) == (12, 7)


def test_the_twelve_month_trend_from_the_rollups_and_from_the_tickets_agree_AN_1(two_years):
    accepted = Ticket.objects.exclude(status="refused")
    for rollup_area in ("", None):
        a = compute_annual(accepted, parse_period("2026"), rollup_area=rollup_area, tz=settings.TIME_ZONE)
        assert [m.count for m in a.trend] == [0, 3, 2, 0, 0, 0, 0, 4, 0, 3, 0, 0]
        assert [m.previous for m in a.trend] == [0, 0, 2, 0, 2, 0, 1, 0, 0, 2, 0, 0]
        assert a.trend[0].label == "1月"


def test_difficult_problems_are_the_category_and_township_pairs_with_most_troubled_tickets_AR_4(two_years):
    a = compute_annual(Ticket.objects.exclude(status="refused"), parse_period("2026"), rollup_area="", tz="")
    assert DIFFICULT_MIN_TROUBLED == 3
    rows = [(d.category, d.township, d.tickets, d.repeats, d.unsatisfied, d.reworked, d.troubled) for d in a.difficult]
    assert rows == [
        ("城市管理/下水道堵塞", "光明路街道", 7, 3, 1, 0, 4),
        ("供水/停水", "下汤镇", 3, 2, 0, 1, 3),
    ]  # parking in 光明路 has 2 troubled tickets only
    cases = {c.number: c for c in a.typical}
    assert list(cases) == [two_years["r"].number, two_years["a8"].number]
    r = cases[two_years["r"].number]
    assert r.repeats == 3  # R1 and R3 directly, R2 through R1
    assert CALLER_NAME not in r.excerpt and CALLER_PHONE not in r.excerpt and "光明路下水道堵塞" in r.excerpt
    assert cases[two_years["a8"].number].repeats == 2 and cases[two_years["a8"].number].unsatisfied


def test_a_year_without_troubled_tickets_has_no_difficult_problem_AR_4(two_years):
    a = compute_annual(Ticket.objects.exclude(status="refused"), parse_period("2025"), rollup_area="", tz="")
    assert a.difficult == [] and a.typical == []


@pytest.fixture
def pages(two_years):
    cache.clear()
    yield
    cache.clear()


def test_the_annual_page_shows_its_sections_without_the_caller_AN_1_AR_4(as_user, pages):
    page = as_user("city_dispatcher").get("/briefings/2026/").content.decode()
    for section in ('id="trend"', 'id="difficult"', 'id="honours"', "/briefings/2026/chart/trend.png"):
        assert section in page
    assert "典型案例与难点问题" in page and "规则：" in page and "/assessment/year/2026/" in page
    assert 'rel="prev">‹ 2025年' in page and "/briefings/2025/" in page
    assert CALLER_NAME not in page and CALLER_PHONE not in page
    index = as_user("city_dispatcher").get("/briefings/").content.decode()
    assert "年报" in index and f'href="/briefings/{timezone.localdate().year}/"' in index
    png = as_user("city_dispatcher").get("/briefings/2026/chart/trend.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_a_township_head_reads_its_own_year_without_the_citys_honours(as_user, pages):
    page = as_user("guangminglu_handler").get("/briefings/2026/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="difficult"' in html and "下水道堵塞" in html and 'id="honours"' not in html
    assert "下汤镇" not in html  # the other township's water problem is outside its area


@pytest.mark.parametrize(
    "username, url, status",
    [
        ("xinhua_dispatcher", "/briefings/2026/?area=410400", 403),  # a county may not read the city's year
        ("guangminglu_handler", "/briefings/2026/?area=410423101", 403),
        ("changqing_grid", "/briefings/2026/", 403),
        ("water_handler", "/briefings/2026/", 403),
        ("changqing_grid", "/briefings/2026/chart/trend.png", 403),
        ("xinhua_dispatcher", "/briefings/2026/", 200),
    ],
)
def test_who_may_read_an_annual_briefing(as_user, pages, username, url, status):
    assert as_user(username).get(url).status_code == status


@pytest.mark.parametrize(
    "url, status, says",
    [
        ("/briefings/0/", 400, "0"),
        ("/briefings/0000/", 400, "0"),
        ("/briefings/99999/", 400, "99999"),
        ("/briefings/abcd/", 400, "abcd"),
        ("/briefings/2099/", 404, "2099"),
        ("/briefings/2026/?format=doc", 400, "doc"),
        ("/briefings/2026-10/chart/trend.png", 404, ""),
        ("/briefings/abcd/chart/trend.png", 400, "abcd"),
    ],
)
def test_a_bad_year_answers_4xx_with_a_message(as_user, url, status, says):
    r = as_user("city_dispatcher").get(url)
    assert r.status_code == status and says in r.content.decode()


def test_the_annual_pdf_and_workbook_carry_the_years_sections(as_user, pages):
    client = as_user("city_dispatcher")
    pdf = client.get("/briefings/2026/?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get("/briefings/2026/?format=xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(xlsx.content))
    assert {"月度趋势", "难点问题", "典型案例"} <= set(wb.sheetnames)
    cases = [row for row in wb["典型案例"].iter_rows(min_row=2, values_only=True)]
    assert cases[0][0] == Ticket.objects.get(number__startswith="R-").number
    assert all(CALLER_PHONE not in str(v) for row in cases for v in row)


def _registered(label: str, township: str, first: str, last: str, peak: int) -> None:
    from django.contrib.gis.geos import Point, Polygon

    from maps.models import Hotspot

    Hotspot.objects.create(
        category=Category.objects.get(code="0101"),
        label=label,
        county_code=township[:6],
        township_code=township,
        hull=Polygon.from_bbox((113.29, 33.75, 113.30, 33.76)),
        centroid=Point(113.295, 33.755),
        ticket_count=peak,
        peak_count=peak,
        first_at=at(first),
        last_at=at(last),
        window_days=7,
        detected_at=at(first),
        updated_at=at(last),
    )


def test_a_years_hotspots_are_the_registers_entries_alive_that_year_by_peak_AN_1(as_user, pages):
    _registered("光明路下水道热点", GML, "2025-03-01", "2025-03-20", 9)
    _registered("跨年热点", GML, "2024-12-20", "2025-01-05", 12)  # alive into the year: counted
    _registered("前一年的热点", GML, "2024-05-01", "2024-05-20", 30)  # over before the year began
    _registered("新乡县热点", XT, "2025-06-01", "2025-06-09", 6)
    city = as_user("city_dispatcher").get("/briefings/2025/").content.decode()
    section = city[city.index('id="hotspots"') :]
    assert section.index("跨年热点") < section.index("光明路下水道热点") < section.index("新乡县热点")
    assert "前一年的热点" not in city
    township = as_user("guangminglu_handler").get(f"/briefings/2025/?area={GML}").content.decode()
    assert "光明路下水道热点" in township and "新乡县热点" not in township
