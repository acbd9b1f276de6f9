"""The briefing map: /maps/report/<area code>/?from=&to= downloads one HTML file (folium)
that needs no network: Leaflet and its plugins inline, no http(s) asset anywhere [AN-1][AN-3]."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.helpers import XIATANG, make_ticket
from tests.maps.test_api import drain_cluster

pytestmark = pytest.mark.django_db

ASSET_URL = re.compile(r"""(?:<script[^>]+src|<link[^>]+href|<img[^>]+src)\s*=\s*["']?(?:https?:)?//""", re.I)
CSS_URL = re.compile(r"url\(\s*['\"]?(?:https?:)?//", re.I)


def period(days_back: int = 6) -> dict[str, str]:
    today = timezone.localdate()
    return {"from": (today - dt.timedelta(days=days_back)).isoformat(), "to": today.isoformat()}


def test_the_briefing_map_downloads_as_one_offline_html_file(as_user):
    tickets = drain_cluster(n=5)
    response = as_user("wall_viewer").get("/maps/report/410402/", period())
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="map-410402-')
    html = response.content.decode()
    assert not ASSET_URL.search(html), ASSET_URL.search(html).group(0)
    assert not CSS_URL.search(html)
    assert "L.markerClusterGroup" in html and "L.heatLayer" in html  # the plugins are inline
    assert all(t.number in html for t in tickets)  # the period's tickets are markers
    assert "下水道堵塞 · 5 件" in html  # the hotspot, labelled
    assert "新华区" in html


def test_the_briefing_map_shows_only_what_the_user_may_see(as_user):
    mine = drain_cluster(n=2)
    theirs = make_ticket(code=XIATANG)
    html = as_user("xiatang_handler").get("/maps/report/410423/", period()).content.decode()
    assert theirs.number in html and not any(t.number in html for t in mine)
    html = as_user("xiatang_handler").get("/maps/report/410402/", period()).content.decode()
    assert not any(t.number in html for t in mine)  # another county's map: boundaries, no tickets


@pytest.mark.parametrize(
    "query, status, text",
    [
        ({"from": "2026-13-01"}, 400, "from"),
        ({"to": "yesterday"}, 400, "to"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, 400, "from"),
        ({"from": "2025-01-01", "to": "2026-11-01"}, 400, "from"),
    ],
)
def test_a_bad_period_answers_400_naming_the_parameter(as_user, query, status, text):
    response = as_user("wall_viewer").get("/maps/report/410402/", query)
    assert response.status_code == status and response.content.decode().startswith(text)


def test_an_unknown_area_is_404_and_a_visitor_must_log_in(as_user, client):
    assert as_user("wall_viewer").get("/maps/report/999999/").status_code == 404
    assert client.get("/maps/report/410402/").status_code == 302
