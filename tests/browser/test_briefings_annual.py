"""The annual briefing in a real browser against a real daphne [AN-1][AR-4]: the city's year reads in
Chinese with the month briefing's sections, its 12-month trend chart, the typical cases and difficult
problems with their rule, and the honours' link to the year's assessment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dispatch.models import Ticket
from tests.servers import run_committed

from .conftest import changqing_tickets, screenshot
from .test_wall import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PREFIX = "BRY-"
GUANGMINGLU = "410402002"
TZ = timezone.get_current_timezone()


def _add(n: int, category: str, at: dt.datetime, **options) -> list:
    return changqing_tickets(
        PREFIX,
        n,
        category,
        at,
        description="年报浏览器测试：下水道堵塞，来电人电话13800001111",
        caller_phone="13800001111",
        **options,
    )


def _seed_years() -> None:
    """Every month so far of this year and of the last: drains grow, parking appears this year,
    and one drain ticket is raised again five times (a chain), so 光明路's drains are a difficult problem."""
    today = timezone.localdate()
    for year, drains, parking in ((today.year - 1, 3, 0), (today.year, 5, 2)):
        for month in range(1, (today.month if year == today.year else 12) + 1):
            at = dt.datetime(year, month, 5, 9, tzinfo=TZ)
            if at > timezone.now():
                continue
            _add(drains + month % 3, "0101", at, east_m=2000)
            if parking:
                _add(parking, "0401", at + dt.timedelta(days=1), east_m=-3000, channel="wechat")
    root = _add(1, "0101", dt.datetime(today.year, 1, 8, 10, tzinfo=TZ), east_m=2000)[0]
    previous = root
    for i in range(5):
        previous = _add(1, "0101", dt.datetime(today.year, 1, 9 + i, 10, tzinfo=TZ), east_m=2000, repeat_of=previous)[0]
    Ticket.objects.filter(number__startswith=PREFIX, channel="wechat").update(
        satisfaction="satisfied", callback_at=dt.datetime(today.year, 1, 20, 9, tzinfo=TZ)
    )


def _cleanup() -> None:
    Ticket.objects.filter(number__startswith=PREFIX).delete()


@pytest.fixture(scope="module")
def annual_data(django_db_setup, django_db_blocker):
    run_committed(_cleanup, django_db_blocker)
    run_committed(_seed_years, django_db_blocker)
    yield timezone.localdate().year
    run_committed(_cleanup, django_db_blocker)


def test_the_annual_briefing_reads_in_chinese_with_its_trend_and_difficult_problems(live_url, annual_data, page):
    year = annual_data
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_url, "city_dispatcher")
    page.goto(f"{live_url}/briefings/")
    assert "年报" in page.locator(".period-lists").inner_text()
    screenshot(page, "briefing-index")
    page.click(f"a[href='/briefings/{year}/']")
    page.wait_for_selector(".headlines li")
    for img in page.locator("article img").all():  # the charts load lazily, as the reader scrolls
        img.scroll_into_view_if_needed()
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, "briefing-year-loading")  # for a failure below: what the page looked like
    page.wait_for_function(
        "() => document.querySelector('#trend img') && [...document.images].every(i => i.complete && i.naturalWidth > 0)",
        timeout=60000,
    )
    heading = page.locator("h1").inner_text()
    assert heading.startswith("平顶山市12345热线年报") and f"{year}年" in heading
    assert "本年受理诉求" in page.locator(".headlines").inner_text()
    assert page.locator("#trend img").evaluate("i => i.naturalWidth") > 0
    assert "1月" in page.locator("#trend table").inner_text()
    difficult = page.locator("#difficult").inner_text()
    assert "典型案例与难点问题" in difficult and "规则" in difficult
    assert "城市管理/下水道堵塞" in difficult and "光明路街道" in difficult
    assert "13800001111" not in page.content()
    assert page.locator(f"#honours a[href='/assessment/year/{year}/']").count() == 1
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot(page, "briefing-year").with_name("briefing-year-full.png")), full_page=True)
    page.locator("#difficult").scroll_into_view_if_needed()
    screenshot(page, "briefing-year-difficult")
    assert not page.js_errors, page.js_errors
