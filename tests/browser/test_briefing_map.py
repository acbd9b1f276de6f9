"""The downloaded briefing map opens from a file with no network at all."""

import datetime as dt

import pytest
import requests
from django.utils import timezone

from .conftest import ARTIFACTS, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_the_saved_briefing_map_opens_offline(live_url, browser):
    today = timezone.localdate()
    response = requests.get(
        f"{live_url}/maps/report/410400/",
        params={"from": (today - dt.timedelta(days=6)).isoformat(), "to": today.isoformat()},
        auth=None,
        cookies=_login(live_url),
        timeout=30,
    )
    assert response.status_code == 200
    path = ARTIFACTS / "briefing-map.html"
    path.write_bytes(response.content)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, offline=True)
    page = context.new_page()
    requested, errors = [], []
    page.on("request", lambda r: requested.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelectorAll('.leaflet-interactive').length >= 12")  # the counties
    assert page.evaluate("() => typeof L.markerClusterGroup === 'function' && typeof L.heatLayer === 'function'")
    assert page.locator(".briefing-title").inner_text().startswith("平顶山市")
    screenshot(page, "briefing-map")
    assert not requested, requested
    assert not errors, errors
    context.close()


def _login(live_url: str) -> dict:
    s = requests.Session()
    s.get(f"{live_url}/accounts/login/", timeout=10)
    s.post(
        f"{live_url}/accounts/login/",
        data={"username": "wall_viewer", "password": "demo12345", "csrfmiddlewaretoken": s.cookies["csrftoken"]},
        headers={"Referer": f"{live_url}/accounts/login/"},
        timeout=10,
    )
    return {"sessionid": s.cookies["sessionid"]}
