"""Every page a person uses, in Chromium, under the site's Content Security Policy: no page may trip a
violation (an inline script, an eval, an inline style, a foreign source) or throw a script error, and each
page must still do its job (the map draws, the socket connects, Swagger lists the API). The briefing map
runs its inline blocks under a per-response nonce; the audit export streams from daphne."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.utils import timezone

from dispatch.models import Ticket
from grid.models import Area, Office
from tests.helpers import CHANGQING, make_ticket
from tests.servers import new_session

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

USERS = ("city_dispatcher", "changqing_grid", "guangminglu_handler", "admin", "city_calltaker")
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """A committed ticket in 长青社区 and a session per user; removed at the end of the module."""
    with django_db_blocker.unblock():
        first_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        ticket = make_ticket(code=CHANGQING, category="0101", description="长青路12号门前雨水井堵塞，污水漫到人行道")
        keys = {username: new_session(username) for username in USERS}
        area = Area.objects.current().get(code=CHANGQING)
    yield {"ticket": ticket, "sessions": keys, "area": area}
    with django_db_blocker.unblock():
        Ticket.objects.filter(id__gte=first_id).delete()
        for key in keys.values():
            SessionStore(session_key=key).delete()
        connection.close()


@pytest.fixture
def visit(browser, live_url, world):
    """visit(user, path, ready=css selector) → (page, response), failing on any CSP violation or script error."""
    contexts = []

    def go(username: str | None, path: str, *, ready: str | None = None, viewport=None, name: str = ""):
        context = browser.new_context(
            viewport=viewport or {"width": 1280, "height": 800}, locale="zh-CN", bypass_csp=False
        )
        contexts.append(context)
        context.add_init_script(WATCH)
        if username:
            cookie = {"name": settings.SESSION_COOKIE_NAME, "value": world["sessions"][username], "url": live_url}
            context.add_cookies([cookie])
        page = context.new_page()
        console: list[str] = []
        errors: list[str] = []
        page.on(
            "console",
            lambda m: console.append(m.text) if "Content Security Policy" in m.text or "Refused to" in m.text else None,
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        response = page.goto(live_url + path, wait_until="load")
        assert response is not None and response.status == 200, (path, response and response.status)
        if ready:
            page.wait_for_selector(ready, state="attached", timeout=20000)
        try:
            page.wait_for_load_state("networkidle", timeout=8000)
        except Exception:  # noqa: BLE001 - a page polling or holding a socket may never be idle
            pass
        page.wait_for_timeout(300)
        screenshot(page, f"csp-{name or path.strip('/').replace('/', '-') or 'home'}-{username or 'anon'}")
        violations = page.evaluate("window.__csp")
        assert not violations and not console, (path, username, violations, console)
        assert not errors, (path, username, errors)
        return page, response

    yield go
    for context in contexts:
        context.close()


def month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def test_public_pages_and_the_login_form(visit, live_url):
    page, response = visit(None, "/", name="home")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    visit(None, "/maps/grid/", ready=".leaflet-container")
    visit(None, f"/assessment/public/{month()}/")
    page, _ = visit(None, "/api/docs/", ready=".swagger-ui .opblock", name="api-docs")
    assert page.locator(".swagger-ui .opblock").count() > 20  # the whole API, drawn by Swagger UI
    page, _ = visit(None, "/accounts/login/")
    page.fill("input[name=username]", "wall_viewer")
    page.fill("input[name=password]", "demo12345")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("load")
    assert page.evaluate("window.__csp") == []
    assert "/accounts/login/" not in page.url


def test_the_command_center_pages(visit, world):
    number = world["ticket"].number
    visit("city_dispatcher", "/", name="home")
    page, _ = visit(
        "city_dispatcher", "/maps/wall/", ready=".conn[data-state='live']", viewport={"width": 1920, "height": 1080}
    )
    page.wait_for_selector("[data-bins-loaded]", state="attached", timeout=20000)
    visit("city_dispatcher", "/maps/live/", ready=".conn[data-state='live']")  # the socket: connect-src 'self'
    visit("city_dispatcher", "/maps/hotspots/")
    visit("city_dispatcher", "/maps/grid/", ready=".leaflet-container")
    visit("city_dispatcher", f"/assessment/{month()}/")
    visit("city_dispatcher", f"/assessment/{month()}/accountability/")
    visit("city_dispatcher", f"/assessment/year/{month()[:4]}/")  # the year [AR-4]
    water = Office.objects.get(code="DEPT-water").id  # a ranked unit: its drill-down and trend chart
    visit("city_dispatcher", f"/assessment/{month()}/unit/{water}/")
    visit("city_dispatcher", f"/assessment/{month()}/?unit={water}")
    visit("city_dispatcher", "/briefings/")
    visit("city_dispatcher", f"/briefings/{month()}/", ready="img")
    visit("city_dispatcher", "/briefings/spikes/")
    visit("city_dispatcher", "/w/", name="w-queue")
    page, _ = visit("city_dispatcher", f"/w/t/{number}/", ready=".ws-page", name="w-ticket")
    visit("city_dispatcher", "/api/tickets/", name="api-browsable")
    visit("city_dispatcher", f"/api/tickets/{number}/", name="api-ticket-browsable")


def test_the_workstation_pages_on_a_phone_and_at_the_desk(visit, world):
    phone = {"width": 390, "height": 844}
    number = world["ticket"].number
    visit("changqing_grid", "/w/", viewport=phone, name="w-queue")
    visit("changqing_grid", f"/w/t/{number}/", viewport=phone, ready=".ws-page", name="w-ticket")
    visit("changqing_grid", "/w/report/", viewport=phone, ready=".leaflet-container", name="w-report")
    visit("changqing_grid", "/w/offline/", viewport=phone, name="w-offline")
    visit("changqing_grid", "/maps/live/", viewport=phone, ready=".conn[data-state='live']")
    visit("guangminglu_handler", "/w/desk/", name="w-desk")
    visit("guangminglu_handler", "/maps/live/", ready=".conn[data-state='live']")


def test_the_citizens_pages_on_a_phone(visit, world):
    """The citizen's side (issue 16): the report form with its map, the follow page, the public record
    and its map, anonymous on a phone; the center's list of businesses' requests."""
    phone = {"width": 390, "height": 844}
    visit(None, "/m/", viewport=phone, ready="#pick-map.leaflet-container", name="m-report")
    visit(None, "/m/track/", viewport=phone, name="m-track")
    visit(None, "/m/public/", viewport=phone, name="m-public")
    visit(None, "/m/public/map/", viewport=phone, ready="#public-map[data-cases]", name="m-public-map")
    visit("city_dispatcher", "/m/center/business/", name="m-business")


def test_the_call_takers_console(visit):
    """[CT-1] the console at both of the center's screen sizes: its map, its suggestions' script, its socket."""
    for size in ({"width": 1366, "height": 768}, {"width": 1920, "height": 1080}):
        visit("city_calltaker", "/center/", ready=".leaflet-container", viewport=size, name=f"center-{size['width']}")


def test_the_admin_with_its_offline_map_widget(visit, world):
    visit("admin", "/admin/", name="admin")
    page, _ = visit(
        "admin", f"/admin/grid/area/{world['area'].pk}/change/", ready=".dj_map .ol-viewport", name="admin-area"
    )
    assert page.evaluate("typeof window.geodjango_geom") == "object"  # the widget started from its JSON options
    page.wait_for_selector(".dj_map canvas", state="attached")  # OpenLayers drew the map
    visit("admin", f"/admin/dispatch/ticket/{world['ticket'].pk}/change/", name="admin-ticket")
    visit("admin", "/admin/audit/auditentry/", name="admin-audit")


def test_the_briefing_map_runs_its_inline_blocks_under_a_per_response_nonce(visit, live_url):
    today = timezone.localdate()
    path = f"/maps/report/410402002/?from={today - dt.timedelta(days=6)}&to={today}&download=0"
    page, response = visit("city_dispatcher", path, ready=".leaflet-container", name="briefing")
    policy = response.headers["content-security-policy"]
    nonce = policy.split("script-src 'nonce-", 1)[1].split("'", 1)[0]
    assert "unsafe-inline" not in policy and "connect-src 'none'" in policy
    html = page.content()
    assert html.count(f'nonce="{nonce}"') == 0  # the DOM hides nonces from scripts…
    assert page.locator("script[nonce]").count() >= 3  # …but every folium block carries one
    again = page.request.get(live_url + path)
    assert nonce not in again.headers["content-security-policy"]  # a fresh nonce per response


def test_the_audit_export_streams_from_daphne(browser, live_url, world):
    context = browser.new_context(bypass_csp=False)
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": world["sessions"]["admin"], "url": live_url}
    context.add_cookies([cookie])
    today = timezone.localdate()
    response = context.request.get(f"{live_url}/audit/export.csv?from={today}&to={today}")
    assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
    text = response.text()
    assert text.lstrip("\ufeff").startswith("id,at,user_id,username,office_code,action")
    assert world["ticket"].number in text  # its intake was audited
    context.close()


def test_the_desks_pages(visit, world):
    """The center's desks [ORG-1..3]: every desk and a ticket's page with its map and forms."""
    number = world["ticket"].number
    for path in ("/desks/dispatch/", "/desks/rulings/", "/desks/review/", "/desks/callbacks/"):
        visit("city_dispatcher", path)
    for view in ("overdue", "near", "written"):
        visit("city_dispatcher", f"/desks/supervision/?view={view}", name=f"desks-supervision-{view}")
    visit("city_dispatcher", f"/desks/t/{number}/", ready=".leaflet-container", name="desks-ticket")


def test_the_survey_pages(visit):
    """[CT-1] The surveys' list and set-up form: plain forms and stylesheets, no inline script or style."""
    visit("city_dispatcher", "/surveys/")
    visit("city_calltaker", "/surveys/")
