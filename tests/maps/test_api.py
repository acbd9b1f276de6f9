"""The maps API: every read in the caller's scope, every bad parameter a 400 naming it."""

from __future__ import annotations

import datetime as dt
import io
import math

import pytest
from django.core.management import call_command
from django.utils import timezone

from dispatch.models import Ticket
from maps.models import Hotspot, HotspotRule
from maps.services import refresh_hotspots
from tests.helpers import CHANGQING, GUANGMINGLU, XIATANG, label, make_ticket

pytestmark = pytest.mark.django_db

CITY_BBOX = "112.2,33.0,114.0,34.5"


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return lon + east_m / (111_320 * math.cos(math.radians(lat))), lat + north_m / 110_574


def drain_cluster(code: str = CHANGQING, n: int = 5, category: str = "0101") -> list[Ticket]:
    lon, lat = label(code)
    now = timezone.now()
    return [
        make_ticket(
            category=category,
            lon=offset(lon, lat, 30 * i, 20 * (i % 2))[0],
            lat=offset(lon, lat, 30 * i, 20 * (i % 2))[1],
            received_at=now - dt.timedelta(hours=3 * i + 1),
        )
        for i in range(n)
    ]


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/maps/clusters?zoom=9", "bbox"),
        (f"/api/maps/clusters?bbox={CITY_BBOX}", "zoom"),
        ("/api/maps/clusters?bbox=1,2,3&zoom=9", "bbox"),
        ("/api/maps/clusters?bbox=114,33,113,34&zoom=9", "bbox"),
        ("/api/maps/clusters?bbox=nan,33,113,34&zoom=9", "bbox"),
        ("/api/maps/clusters?bbox=112,33,114,89&zoom=9", "bbox"),
        (f"/api/maps/clusters?bbox={CITY_BBOX}&zoom=23", "zoom"),
        (f"/api/maps/clusters?bbox={CITY_BBOX}&zoom=x", "zoom"),
        (f"/api/maps/clusters?bbox={CITY_BBOX}&zoom=9&since=yesterday", "since"),
        (f"/api/maps/clusters?bbox={CITY_BBOX}&zoom=9&since=2026-02-30", "since"),
        (f"/api/maps/clusters?bbox={CITY_BBOX}&zoom=9&category=9999", "category"),
        ("/api/maps/hotspots?days=0", "days"),
        ("/api/maps/hotspots?days=400", "days"),
        ("/api/maps/hotspots?area=12", "area"),
        ("/api/maps/hotspots?area=999999", "area"),
        ("/api/maps/hotspots?category=%00", "category"),
        ("/api/maps/summary?area=abc", "area"),
        ("/api/maps/areas?level=city", "level"),
        ("/api/maps/areas?parent=1", "parent"),
        ("/api/maps/hotspots/register?state=hot", "state"),
    ],
)
def test_a_bad_parameter_answers_400_naming_it(as_user, url, field):
    response = as_user("wall_viewer").get(url)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_the_maps_api_needs_a_login(client):
    for url in ("/api/maps/summary", f"/api/maps/clusters?bbox={CITY_BBOX}&zoom=9", "/api/maps/hotspots"):
        assert client.get(url).status_code == 403


def test_clusters_aggregate_on_the_server_and_a_lone_ticket_comes_as_itself(as_user):
    tickets = drain_cluster(n=6)
    body = as_user("wall_viewer").get(f"/api/maps/clusters?bbox={CITY_BBOX}&zoom=9").json()
    assert body["total"] == 6 and len(body["features"]) == 1
    assert body["features"][0]["properties"] == {
        "kind": "cluster",
        "count": 6,
        "open": 6,
        "overdue": 0,
        "urgent": 0,
        "number": None,
        "status": None,
        "urgency": None,
        "category": None,
    }
    lon, lat = label(CHANGQING)
    close = as_user("wall_viewer").get(
        f"/api/maps/clusters?bbox={lon - 0.003},{lat - 0.003},{lon + 0.003},{lat + 0.003}&zoom=19"
    )
    numbers = {f["properties"]["number"] for f in close.json()["features"]}
    assert numbers == {t.number for t in tickets}


def test_clusters_since_and_category_narrow_the_tickets(as_user):
    drain_cluster(n=3)
    drain_cluster(n=2, category="0401")
    c = as_user("wall_viewer")
    assert c.get(f"/api/maps/clusters?bbox={CITY_BBOX}&zoom=9&category=0401").json()["total"] == 2
    assert c.get(f"/api/maps/clusters?bbox={CITY_BBOX}&zoom=9&category=04").json()["total"] == 2
    since = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    assert c.get("/api/maps/clusters", {"bbox": CITY_BBOX, "zoom": 9, "since": since}).json()["total"] == 2


def test_a_grid_workers_map_shows_only_their_community(as_user):
    """[ORG-5] the grid worker's phone shows their own area, nothing of the neighbours'."""
    mine = drain_cluster(CHANGQING, n=5)
    other_township = drain_cluster(XIATANG, n=5)
    worker = as_user("changqing_grid")
    body = worker.get(f"/api/maps/clusters?bbox={CITY_BBOX}&zoom=9").json()
    assert body["total"] == 5
    summary = worker.get("/api/maps/summary").json()
    assert {t["number"] for t in summary["latest"]} == {t.number for t in mine}
    assert summary["counters"]["open"] == 5
    hotspots = worker.get("/api/maps/hotspots").json()["features"]
    assert [set(h["properties"]["tickets"]) for h in hotspots] == [{t.number for t in mine}]
    assert worker.get("/api/maps/areas?level=township").json() == [{"code": GUANGMINGLU, "open": 5, "overdue": 0}]
    # The city center sees both.
    city = as_user("wall_viewer").get("/api/maps/hotspots").json()["features"]
    assert sorted(len(h["properties"]["tickets"]) for h in city) == [5, 5]
    assert {n for h in city for n in h["properties"]["tickets"]} >= {t.number for t in other_township}


def test_a_township_desk_sees_its_township_only(as_user):
    drain_cluster(CHANGQING, n=2)
    drain_cluster(XIATANG, n=3)
    desk = as_user("xiatang_handler")
    assert desk.get(f"/api/maps/clusters?bbox={CITY_BBOX}&zoom=9").json()["total"] == 3
    assert desk.get("/api/maps/summary", {"area": GUANGMINGLU}).json()["counters"]["open"] == 0


def test_a_hotspot_is_labelled_township_category_count_and_days(as_user):
    tickets = drain_cluster(n=5)
    [feature] = as_user("wall_viewer").get("/api/maps/hotspots?category=0101").json()["features"]
    p = feature["properties"]
    assert p["label"].startswith("光明路街道 · ")
    assert p["label"].endswith("下水道堵塞 · 5 件 · 14 天")
    assert p["place"] and p["label"] == f"光明路街道 · {p['place']} · 下水道堵塞 · 5 件 · 14 天"  # the leading road
    assert p["tickets"] == [t.number for t in sorted(tickets, key=lambda t: t.received_at)]
    assert p["ticket_urls"][0] == f"/api/tickets/{p['tickets'][0]}/"
    assert feature["geometry"]["type"] == "Polygon" and p["window_days"] == 14
    assert as_user("wall_viewer").get("/api/maps/hotspots?category=0401").json()["features"] == []
    wider = as_user("wall_viewer").get("/api/maps/hotspots?days=30").json()["features"][0]["properties"]
    assert wider["label"].endswith("5 件 · 30 天")


def test_hotspot_parameters_are_per_category(as_user):
    drain_cluster(n=3)
    assert as_user("wall_viewer").get("/api/maps/hotspots").json()["features"] == []
    HotspotRule.objects.update_or_create(category_code="0101", defaults={"min_tickets": 3, "radius_m": 150})
    assert len(as_user("wall_viewer").get("/api/maps/hotspots").json()["features"]) == 1
    HotspotRule.objects.filter(category_code="0101").update(is_active=False)
    assert as_user("wall_viewer").get("/api/maps/hotspots").json()["features"] == []


def test_the_register_tells_new_growing_and_cooled_hotspots_apart(as_user):
    tickets = drain_cluster(n=5)
    changes = refresh_hotspots(notify=False)
    [h] = changes.formed
    assert h.state == Hotspot.State.NEW and h.ticket_count == 5 and h.label.endswith("5 件 · 14 天")
    lon, lat = label(CHANGQING)
    make_ticket(lon=offset(lon, lat, 10, 10)[0], lat=offset(lon, lat, 10, 10)[1])
    changes = refresh_hotspots(notify=False)
    assert [x.id for x in changes.grew] == [h.id]
    h.refresh_from_db()
    assert (h.state, h.ticket_count, h.peak_count) == (Hotspot.State.GROWING, 6, 6)
    feature = as_user("wall_viewer").get("/api/maps/hotspots").json()["features"][0]["properties"]
    assert (feature["register_id"], feature["state"]) == (h.id, "growing")
    Ticket.objects.filter(id__in=[t.id for t in tickets]).update(received_at=timezone.now() - dt.timedelta(days=20))
    changes = refresh_hotspots(notify=False)
    assert [x.id for x in changes.cooled] == [h.id]


def test_the_center_opens_a_supervision_case_on_a_hotspot_and_a_township_may_not(as_user):
    """[SV-1][SV-3] concentrated problems are focus cases the center supervises."""
    drain_cluster(n=5)
    [h] = refresh_hotspots(notify=False).formed
    register = as_user("city_dispatcher").get("/api/maps/hotspots/register").json()
    assert register[0]["id"] == h.id and register[0]["state"] == "new" and len(register[0]["tickets"]) == 5
    denied = as_user("guangminglu_handler").post(
        f"/api/maps/hotspots/register/{h.id}/case", {"note": "请排查管网"}, content_type="application/json"
    )
    assert denied.status_code == 403
    assert as_user("xiatang_handler").get("/api/maps/hotspots/register").json() == []
    hidden = as_user("xiatang_handler").post(
        f"/api/maps/hotspots/register/{h.id}/case", {"note": "x"}, content_type="application/json"
    )
    assert hidden.status_code == 404
    missing = as_user("city_dispatcher").post(
        f"/api/maps/hotspots/register/{h.id}/case", {}, content_type="application/json"
    )
    assert missing.status_code == 400 and "note" in missing.json()
    opened = as_user("city_dispatcher").post(
        f"/api/maps/hotspots/register/{h.id}/case", {"note": "请城管局牵头排查管网"}, content_type="application/json"
    )
    assert (
        opened.status_code == 200
        and opened.json()["case_opened_at"]
        and opened.json()["case_note"] == "请城管局牵头排查管网"
    )
    page = as_user("city_dispatcher").get("/maps/hotspots/").content.decode()
    assert "请城管局牵头排查管网" in page and "光明路街道" in page


def test_summary_counts_and_lists_the_latest_tickets(as_user):
    tickets = drain_cluster(n=3)
    body = as_user("wall_viewer").get("/api/maps/summary").json()
    assert body["counters"]["intake_today"] >= 1 and body["counters"]["open"] == 3
    assert body["latest"][0]["number"] == tickets[0].number  # newest first
    assert "caller" not in body["latest"][0] and "王芳" not in str(body)  # [IN-2] no caller data on the wall
    assert body["categories"][0]["code"] == "0101"


def test_the_maps_api_is_in_the_openapi_schema_without_warnings():
    out = io.StringIO()
    call_command(
        "spectacular",
        "--urlconf",
        "tests.maps.schema_urls",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        stdout=out,
    )
    schema = out.getvalue()
    for path in ("/api/maps/clusters", "/api/maps/hotspots", "/api/maps/summary", "/api/maps/areas"):
        assert f'"{path}"' in schema
