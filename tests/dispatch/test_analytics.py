"""Figures from tickets for maps and briefings [AN-1][AN-3]: counters, trends, per-area
counts, point bins and DBSCAN hotspots, all computed in PostGIS over a scoped queryset."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.utils import timezone

from dispatch import analytics
from dispatch.analytics import ClusterRule
from dispatch.models import Category, Ticket
from tests.helpers import CHANGQING, XIATANG, label, make_ticket

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 11, 20, 15, 0))


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """A point east_m / north_m metres from (lon, lat)."""
    return lon + east_m / (111_320 * math.cos(math.radians(lat))), lat + north_m / 110_574


def ticket_at(lon: float, lat: float, *, category: str = "0101", hours_ago: float = 1, **extra) -> Ticket:
    return make_ticket(lon=lon, lat=lat, category=category, received_at=NOW - dt.timedelta(hours=hours_ago), **extra)


def test_live_counters_split_open_near_deadline_overdue_and_closed_today():
    """[SV-1] near-deadline is ≥ 80% of the allowed time used; overdue is past the resolve deadline."""
    fresh = make_ticket(received_at=NOW - dt.timedelta(hours=1))
    near = make_ticket(received_at=NOW - dt.timedelta(days=3))
    late = make_ticket(received_at=NOW - dt.timedelta(days=8))
    closed = make_ticket(received_at=NOW - dt.timedelta(days=2))
    Ticket.objects.filter(id=near.id).update(
        clock_started_at=NOW - dt.timedelta(hours=90), resolve_by=NOW + dt.timedelta(hours=10)
    )
    Ticket.objects.filter(id=late.id).update(resolve_by=NOW - dt.timedelta(hours=1))
    Ticket.objects.filter(id=closed.id).update(
        status="closed", closed_at=NOW - dt.timedelta(hours=2), callback_at=NOW, satisfaction="basic"
    )
    Ticket.objects.filter(id=fresh.id).update(clock_started_at=NOW - dt.timedelta(hours=1))
    qs = Ticket.objects.filter(id__in=[fresh.id, near.id, late.id, closed.id])
    c = analytics.live_counters(qs, now=NOW)
    assert (c.intake_today, c.open, c.near_deadline, c.overdue, c.closed_today) == (1, 3, 1, 1, 1)
    assert c.satisfaction_rate == 1.0  # basically satisfied counts as satisfied [CB-1]


def test_category_trends_put_today_next_to_the_seven_days_before():
    lon, lat = label(CHANGQING)
    for hours in (1, 2):
        ticket_at(lon, lat, category="0401", hours_ago=hours)
    for days in (1, 3, 6, 9):  # the 9-day-old one is outside the 7 days
        ticket_at(lon, lat, category="0101", hours_ago=days * 24 + 1)
    trends = {t.code: t for t in analytics.category_trends(Ticket.objects.all(), now=NOW)}
    assert (trends["0401"].today, trends["0401"].last_7_days) == (2, 0)
    assert (trends["0101"].today, trends["0101"].last_7_days) == (0, 3)
    assert list(trends)[0] == "0401"  # today's leader first


def test_area_counts_give_open_and_overdue_per_township():
    a = make_ticket(code=CHANGQING)
    make_ticket(code=CHANGQING)
    make_ticket(code=XIATANG)
    Ticket.objects.filter(id=a.id).update(resolve_by=timezone.now() - dt.timedelta(minutes=5))
    counts = analytics.area_counts(Ticket.objects.all(), level="township")
    assert counts["410402002"] == {"open": 2, "overdue": 1}
    assert counts["410423101"] == {"open": 1, "overdue": 0}


def test_point_bins_are_bounded_by_the_view_not_by_the_tickets():
    lon, lat = label(CHANGQING)
    for i in range(30):
        ticket_at(*offset(lon, lat, (i % 6) * 400, (i // 6) * 400))
    bbox = (lon - 0.05, lat - 0.05, lon + 0.08, lat + 0.08)
    bins, size = analytics.point_bins(Ticket.objects.all(), bbox=bbox, zoom=17, max_bins=16)
    assert len(bins) <= 16 and sum(b.count for b in bins) == 30
    assert size >= analytics.cell_size_m(17)  # coarsened to keep within 16 bins
    fine, _ = analytics.point_bins(Ticket.objects.all(), bbox=bbox, zoom=17)
    assert len(fine) == 30  # 400 m apart at 64 px ≈ 76 m cells: each ticket alone
    single = fine[0]
    assert single.count == 1 and single.number.startswith("PDS-") and single.category == "城市管理/下水道堵塞"


def test_five_drain_blockages_within_150_m_in_7_days_make_a_hotspot():
    """[AN-1] a hotspot: ≥ 5 tickets of one category within 150 m of each other in 7 days."""
    lon, lat = label(CHANGQING)
    near = [
        ticket_at(*offset(lon, lat, dx, dy), hours_ago=h)
        for dx, dy, h in [(0, 0, 1), (60, 0, 20), (0, 70, 40), (90, 90, 60), (-50, 40, 100)]
    ]
    ticket_at(*offset(lon, lat, 2000, 0))  # far away: noise
    ticket_at(*offset(lon, lat, 20, 20), hours_ago=8 * 24)  # too old for the window
    ticket_at(*offset(lon, lat, 10, 10), category="0401")  # another category: its own partition
    drain = Category.objects.get(code="0101")
    parking = Category.objects.get(code="0401")
    rules = {drain.id: ClusterRule(150, 5, 7), parking.id: ClusterRule(150, 5, 7)}
    [cluster] = analytics.ticket_clusters(Ticket.objects.all(), rules=rules, now=NOW)
    assert cluster.category_code == "0101" and cluster.count == 5
    assert set(cluster.ticket_ids) == {t.id for t in near}
    assert cluster.township_code == "410402002" and cluster.community_code == CHANGQING
    assert cluster.first_at == min(t.received_at for t in near)
    assert cluster.hull_wkt.startswith("POLYGON")


def test_four_tickets_are_not_a_hotspot_unless_the_category_rule_says_so():
    lon, lat = label(CHANGQING)
    for dx in (0, 40, 80, 120):
        ticket_at(*offset(lon, lat, dx, 0))
    drain = Category.objects.get(code="0101")
    assert analytics.ticket_clusters(Ticket.objects.all(), rules={drain.id: ClusterRule(150, 5, 7)}, now=NOW) == []
    [c] = analytics.ticket_clusters(Ticket.objects.all(), rules={drain.id: ClusterRule(150, 4, 7)}, now=NOW)
    assert c.count == 4
    # 100 m apart in metres (EPSG:4547), not degrees: a 30 m radius keeps them apart.
    assert analytics.ticket_clusters(Ticket.objects.all(), rules={drain.id: ClusterRule(30, 2, 7)}, now=NOW) == []
