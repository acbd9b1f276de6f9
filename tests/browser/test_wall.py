"""The command-center wall and the per-level live map in a real browser, against a real
daphne: it renders at 1920×1080 (and 3840×2160), and a ticket posted through the API
appears on it without a reload."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest
import requests
from django.utils import timezone

from dispatch.models import OPEN_STATUSES, Ticket
from tests.helpers import CHANGQING, XIATANG, label, make_ticket
from tests.servers import run_committed

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

SEED_PREFIX = "wall-test-"
# Places of the central districts for the seeded history (community codes).
CENTRAL = [
    "410402002005",
    "410402002002",
    "410402001001",
    "410403001001",
    "410411001001",
    "410471001001",
    "410472001001",
]


DESCRIPTIONS = {
    "0101": "小区门口下水道堵塞，污水漫到路面，气味很大",
    "0201": "楼下垃圾桶满了两天没人清运",
    "0401": "市场门口车辆乱停，堵住消防通道",
    "0701": "单元楼道暖气管道漏水，地面结冰",
    "0801": "整栋楼突然停水，没有提前通知",
    "1101": "夜间工地施工噪音扰民，影响休息",
    "0103": "人行道上流动摊贩占道经营",
    "0404": "电动车在楼道充电，存在安全隐患",
    "0803": "路边水管爆裂，水流到马路上",
    "0105": "主干道路灯连续几晚不亮",
}


def _offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return lon + east_m / (111_320 * math.cos(math.radians(lat))), lat + north_m / 110_574


def _seed() -> None:
    """A small believable history: scattered tickets, a drain cluster in 长青社区 and a parking
    cluster nearby, some overdue and urgent ones, all committed for the server to see."""
    rng = random.Random(12345)
    now = timezone.now()
    codes = CENTRAL
    n = 0

    def add(code: str, category: str, east: float, north: float, hours: float, **extra) -> Ticket:
        nonlocal n
        n += 1
        lon, lat = _offset(*label(code), east, north)
        return make_ticket(
            code=None,
            description=DESCRIPTIONS[category],
            lon=lon,
            lat=lat,
            category=category,
            received_at=now - dt.timedelta(hours=hours),
            external_id=f"{SEED_PREFIX}{n}",
            **extra,
        )

    categories = list(DESCRIPTIONS)
    for _ in range(90):
        add(
            rng.choice(codes),
            rng.choice(categories),
            rng.uniform(-900, 900),
            rng.uniform(-900, 900),
            rng.uniform(0, 160),
        )
    for _ in range(12):
        add(XIATANG, rng.choice(categories), rng.uniform(-1500, 1500), rng.uniform(-1500, 1500), rng.uniform(0, 160))
    for i in range(9):
        add(CHANGQING, "0101", rng.uniform(-60, 60), rng.uniform(-60, 60), 4 + i * 15)
    for i in range(7):
        add("410402002002", "0401", 200 + rng.uniform(-50, 50), rng.uniform(-50, 50), 2 + i * 20, urgency="urgent")
    late = Ticket.objects.filter(external_id__startswith=SEED_PREFIX).order_by("id")[:14]
    Ticket.objects.filter(id__in=[t.id for t in late]).update(resolve_by=now - dt.timedelta(hours=2))


def _cleanup() -> None:
    Ticket.objects.filter(external_id__startswith=SEED_PREFIX).delete()
    Ticket.objects.filter(created_by__username="city_dispatcher", description__contains="大屏测试").delete()


@pytest.fixture(scope="module")
def wall_data(django_db_setup, django_db_blocker):
    run_committed(_cleanup, django_db_blocker)
    run_committed(_seed, django_db_blocker)
    yield
    run_committed(_cleanup, django_db_blocker)


def login(page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/")


@pytest.fixture
def wall_page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    pg = context.new_page()
    pg.js_errors = []
    pg.on("pageerror", lambda e: pg.js_errors.append(str(e)))
    yield pg
    context.close()


def _ready(page) -> None:
    page.wait_for_function("document.body.dataset.refreshed && document.getElementById('map').dataset.areasLoaded")
    page.wait_for_timeout(400)


def test_the_wall_renders_and_a_new_ticket_appears_without_reload(live_url, wall_data, wall_page):
    """[AN-3] a GIS map of tickets on the big-data display, with the concentrated (hotspot) events."""
    page = wall_page
    outside = []
    page.on(
        "request",
        lambda r: outside.append(r.url)
        if not r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:"))
        else None,
    )
    login(page, live_url, "wall_viewer")
    page.goto(f"{live_url}/maps/wall/")
    _ready(page)
    map_data = page.evaluate("() => ({...document.getElementById('map').dataset})")
    assert map_data["areaLevel"] == "county" and map_data["areasLoaded"] == "12"
    assert int(map_data["binsLoaded"]) > 0 and int(map_data["ticketsInView"]) >= 118
    assert int(map_data["hotspotsLoaded"]) >= 2
    hotspots = page.locator("#hotspot-list").inner_text()
    assert "长青社区" in hotspots or "光明路街道" in hotspots
    assert "下水道堵塞" in hotspots and "停车秩序" in hotspots
    assert page.locator("#conn").get_attribute("data-state") == "live"
    overdue = Ticket.objects.filter(status__in=OPEN_STATUSES, resolve_by__lt=timezone.now()).count()
    assert overdue >= 10 and page.locator('[data-counter="overdue"] .value').inner_text() == str(overdue)
    assert page.locator("h1").inner_text().startswith("平顶山市")
    assert page.get_by_text("今日受理").is_visible() and page.get_by_text("最新工单").is_visible()
    screenshot(page, "wall-1920")

    # A ticket posted through the API appears on the wall, with no reload.
    page.evaluate("() => { window.__sameDocument = true; }")
    before = int(page.locator('[data-counter="intake_today"] .value').inner_text())
    response = requests.post(
        f"{live_url}/api/tickets/",
        json={
            "channel": "phone",
            "kind": "complaint",
            "category": "0101",
            "description": "大屏测试：长青社区新建路东段下水道堵塞，污水漫到路面",
            "lon": label(CHANGQING)[0],
            "lat": label(CHANGQING)[1],
            "caller_name": "王芳",
            "caller_phone": "13812341234",
        },
        auth=("city_dispatcher", "demo12345"),
        timeout=10,
    )
    assert response.status_code == 201, response.text[:300]
    number = response.json()["number"]
    page.wait_for_selector(f'#feed li[data-number="{number}"]', timeout=3000)
    assert page.evaluate("() => window.__sameDocument") is True
    assert page.evaluate(f"() => window.liveState.messages.some(m => m.number === '{number}')")
    page.wait_for_function(
        f"() => Number(document.querySelector('[data-counter=\"intake_today\"] .value').textContent) >= {before + 1}"
    )
    assert "下水道堵塞" in page.locator("#feed li").first.inner_text()
    page.wait_for_timeout(300)
    screenshot(page, "wall-new-ticket")

    # A dropped connection comes back by itself and re-fetches the whole state.
    page.evaluate("() => { window.__refreshes = window.liveState.refreshes; window.liveState.socket.close(); }")
    page.wait_for_function("() => !window.liveState.connected")
    page.wait_for_function("() => window.liveState.connected && window.liveState.refreshes > window.__refreshes")
    assert page.locator("#conn").get_attribute("data-state") == "live"

    # The overdue choropleth per township, then a drill-down into 新华区.
    page.click("[data-choropleth=overdue]")
    page.wait_for_function("(document.getElementById('map').dataset.choropleth || '').startsWith('overdue:')")
    page.wait_for_timeout(300)
    screenshot(page, "wall-choropleth-overdue")
    page.click("[data-choropleth=overdue]")
    page.evaluate("""() => {
        const m = window.liveMap; let target = null;
        m.eachLayer(l => { if (l.feature && l.feature.id === '410402') target = l; });
        target.fire('click');
    }""")
    page.wait_for_function("document.getElementById('map').dataset.areaLevel === 'township'")
    _ready(page)
    assert page.locator("#crumbs button").all_inner_texts() == ["平顶山市", "新华区"]
    screenshot(page, "wall-drill-xinhua")
    page.evaluate("""() => {
        let target = null;
        window.liveMap.eachLayer(l => { if (l.feature && l.feature.id === '410402002') target = l; });
        target.fire('click');
    }""")
    page.wait_for_function("document.getElementById('map').dataset.areaLevel === 'community'")
    _ready(page)
    assert page.locator("#crumbs button").all_inner_texts() == ["平顶山市", "新华区", "光明路街道"]
    assert int(page.evaluate("() => document.getElementById('map').dataset.hotspotsLoaded")) >= 2
    screenshot(page, "wall-drill-guangminglu")
    assert not outside, outside
    assert not page.js_errors, page.js_errors


def test_the_wall_scales_to_a_4k_screen(live_url, wall_data, browser):
    context = browser.new_context(viewport={"width": 3840, "height": 2160}, locale="zh-CN")
    page = context.new_page()
    login(page, live_url, "wall_viewer")
    page.goto(f"{live_url}/maps/wall/")
    _ready(page)
    size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.counter .value')).fontSize)")
    assert size >= 64  # 2.3rem with 1rem = 1/120 of 3840 px
    screenshot(page, "wall-3840")
    context.close()


def test_a_grid_workers_phone_shows_only_their_community(live_url, wall_data, browser):
    """[ORG-5] the grid worker's live map holds their community's tickets and nothing else."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    login(page, live_url, "changqing_grid")
    page.goto(f"{live_url}/maps/live/")
    _ready(page)
    screenshot(page, "phone-changqing-grid")
    page.evaluate("() => window.liveMap.setZoom(11)")
    page.wait_for_timeout(800)
    in_view = int(page.evaluate("() => document.getElementById('map').dataset.ticketsInView"))
    mine = Ticket.objects.filter(community_code=CHANGQING, received_at__gte=timezone.now() - dt.timedelta(days=7))
    assert in_view == mine.count() > 0
    places = page.locator("#feed li .what").all_inner_texts()
    assert places and all("长青社区" in p for p in places)
    assert page.locator("#crumbs button").all_inner_texts() == ["长青社区居民委员会"]
    context.close()
