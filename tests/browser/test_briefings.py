"""The weekly briefing page and the wall's flare banner in a real browser against a real daphne
[AN-1][AN-2]: the briefing reads in Chinese with its charts served by our own views, and a flare
raised while the wall is open appears on it, pushed, with its 2-hour countdown."""

from __future__ import annotations

import datetime as dt
import sys

import pytest
from django.db import connection
from django.utils import timezone

from alerts.models import SpikeAlert
from briefings.periods import current_period
from dispatch.models import Ticket
from tests.servers import database_url, free_port, process, run_committed

from .conftest import changqing_tickets, screenshot
from .test_wall import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PREFIX = "BRW-"
GUANGMINGLU = "410402002"
TZ = timezone.get_current_timezone()


def _add(n: int, category: str, at: dt.datetime, **options) -> list:
    return changqing_tickets(PREFIX, n, category, at, **options)


def _week_start(p) -> dt.datetime:
    return dt.datetime.combine(p.start, dt.time(9), tzinfo=TZ)


def _seed_weeks() -> None:
    """Three finished weeks in 光明路街道: drains lead every week, parking rises in the last one,
    and six drain tickets along one street make that week's hotspot."""
    last = current_period("week").previous()
    weeks = [last.previous().previous(), last.previous(), last]
    for w, (drains, parking, water, web) in zip(weeks, ((8, 2, 3, 2), (9, 3, 3, 3), (10, 9, 2, 4)), strict=True):
        start = _week_start(w)
        _add(drains, "0101", start + dt.timedelta(days=1), east_m=2000)
        _add(parking, "0401", start + dt.timedelta(days=2), east_m=-3000)
        _add(water, "0801", start + dt.timedelta(days=3), east_m=5000, channel="wechat")
        _add(web, "0105", start + dt.timedelta(days=4), east_m=-6000, channel="web")
    _add(6, "0101", _week_start(last) + dt.timedelta(days=2, hours=3))  # the hotspot: 25 m apart
    Ticket.objects.filter(number__startswith=PREFIX, channel="wechat").update(
        satisfaction="satisfied", callback_at=_week_start(last) + dt.timedelta(days=5)
    )


def _cleanup() -> None:
    SpikeAlert.objects.filter(township_code=GUANGMINGLU).delete()
    Ticket.objects.filter(number__startswith=PREFIX).delete()


@pytest.fixture(scope="module")
def briefing_data(django_db_setup, django_db_blocker):
    run_committed(_cleanup, django_db_blocker)
    run_committed(_seed_weeks, django_db_blocker)
    yield current_period("week").previous()
    run_committed(_cleanup, django_db_blocker)


def test_the_weekly_briefing_reads_in_chinese_with_its_charts_and_downloads(live_url, briefing_data, page):
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("http://127.0.0.1") else None)
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_url, "guangminglu_handler")
    page.goto(f"{live_url}/")
    page.click("a[href='/briefings/']")  # linked from the home page's cards / nav
    page.click(f"a[href='/briefings/{briefing_data.code}/']")
    page.wait_for_selector(".headlines li")
    for img in page.locator("article img").all():  # the charts load lazily, as the reader scrolls
        img.scroll_into_view_if_needed()
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_function(
        "() => [...document.images].length >= 4 && [...document.images].every(i => i.complete && i.naturalWidth > 0)",
        timeout=30000,
    )
    heading = page.locator("h1").inner_text()
    assert heading.startswith("光明路街道12345热线周报") and f"第{briefing_data.number}周" in heading
    headlines = page.locator(".headlines").inner_text()
    assert "本周受理诉求 31 件，较上周（18 件）+72.2%" in headlines  # 10 + 9 + 2 + 4 + the hotspot's 6
    assert "城市管理类诉求连续三周居首位" in headlines
    assert "交通管理/停车秩序（3 → 9 件）" in headlines
    assert "热点：光明路街道" in headlines
    assert page.locator("#kpi-volume").inner_text() == "31"
    assert "下水道堵塞" in page.locator("#hotspots").inner_text()
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot(page, "briefing-week").with_name("briefing-week-full.png")), full_page=True)
    for fmt, kind in (("pdf", "application/pdf"), ("xlsx", "spreadsheetml")):
        r = page.request.get(f"{live_url}/briefings/{briefing_data.code}/?format={fmt}")
        assert r.status == 200 and kind in r.headers["content-type"]
    assert not outside, outside
    assert not page.js_errors, page.js_errors


@pytest.fixture
def ticking_server(django_db_setup, django_db_blocker):
    """A daphne of its own whose live pusher runs every second (the session's server has it off)."""
    with django_db_blocker.unblock():
        connection.ensure_connection()
        db_url = database_url()
    port = free_port()
    env = {
        "DATABASE_URL": db_url,
        "DEBUG": "1",
        "MAPS_LIVE_TICK_SECONDS": "1",
    }
    args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    with process(args, port, "daphne-ticking", env):
        yield f"http://127.0.0.1:{port}"


def test_a_flare_raised_while_the_wall_is_open_appears_with_its_countdown(
    ticking_server, django_db_blocker, wall_page_large, browser
):
    from alerts.services import raise_spike_alerts

    page = wall_page_large
    now = timezone.now()

    def spike():
        # Nine drain tickets today in 光明路街道, against no baseline at all.
        midnight = timezone.localtime(now).replace(hour=0, minute=1, second=0, microsecond=0)
        _add(9, "0101", max(now - dt.timedelta(minutes=70), midnight), east_m=9000)

    run_committed(_cleanup, django_db_blocker)
    run_committed(spike, django_db_blocker)
    try:
        login(page, ticking_server, "wall_viewer")
        page.goto(f"{ticking_server}/maps/wall/")
        page.wait_for_function("window.liveState && window.liveState.connected && document.body.dataset.refreshed")
        assert page.locator("#flares").is_hidden()
        run_committed(lambda: raise_spike_alerts(), django_db_blocker)  # what the supervisor does each pass
        page.wait_for_selector("#flares:not([hidden]) #flare-list li", timeout=10000)
        assert page.evaluate("() => window.liveState.messages.some(m => m.type === 'spike.raised')")  # pushed
        banner = page.locator("#flares").inner_text()
        assert "舆情预警" in banner and "光明路街道" in banner and "城市管理/下水道堵塞" in banner
        assert "今日 9 件" in banner
        countdown = page.locator("#flare-list .countdown").inner_text()
        assert countdown.startswith("快报剩余 1:5") or countdown.startswith("快报剩余 2:00"), countdown
        page.wait_for_function(  # it counts down
            "(before) => document.querySelector('#flare-list .countdown').textContent !== before", arg=countdown
        )
        screenshot(page, "wall-flare")
        assert not page.js_errors, page.js_errors
        # The center's list has it, with the same deadline, for a dispatcher to answer.
        page = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN").new_page()
        login(page, ticking_server, "city_dispatcher")
        page.goto(f"{ticking_server}/briefings/spikes/")
        row = page.locator("tr[data-spike]").first
        assert "光明路街道" in row.inner_text() and row.locator(".countdown").inner_text().startswith("1:5")
        row.locator("textarea[name=text]").fill(
            "光明路街道长青社区新建路一带下水道集中堵塞，已通知排水处抢修，网格员现场值守。"
        )
        row.locator("button.file-report").click()
        page.wait_for_selector(".msg")
        assert "快报已报送" in page.locator(".msg").inner_text()
        assert "已报送" in page.locator("tr[data-spike]").first.inner_text()
        screenshot(page, "flare-list-reported")
        page.context.close()
    finally:
        run_committed(_cleanup, django_db_blocker)


@pytest.fixture
def wall_page_large(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    pg = context.new_page()
    pg.js_errors = []
    pg.on("pageerror", lambda e: pg.js_errors.append(str(e)))
    yield pg
    context.close()
