"""Reads of the maps. Every one starts from dispatch's scope rule
(tickets_visible_to) and narrows it; the figures come from dispatch.analytics."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from django.contrib.gis.geos import GEOSGeometry
from django.db.models import QuerySet
from django.utils import timezone

from dispatch import analytics
from dispatch.models import Category, Status, Ticket
from dispatch.selectors import filter_tickets, tickets_visible_to
from grid.models import Area, Level
from rollups import selectors as rollups

from .hotspots import find_hotspots, name_place
from .models import Hotspot

if TYPE_CHECKING:
    from grid.models import User

DEFAULT_SINCE = dt.timedelta(days=7)
FEED_SIZE = 20


def scoped(user: User, area: Area | None = None) -> QuerySet[Ticket]:
    """The user's tickets, narrowed to an area when one is given."""
    qs = tickets_visible_to(user)
    if area is not None and area.level != Level.CITY:
        qs = filter_tickets(qs, area=area.code)
    return qs


def home_area(user: User) -> Area | None:
    """The area of the user's office (the city for the center and for departments)."""
    office = getattr(user, "office", None)
    area = office.area if office is not None else None
    if area is None or office.kind == office.Kind.DEPARTMENT:
        area = Area.objects.current().filter(level=Level.CITY).first()
    return area


def summary(user: User, *, area: Area | None = None, now: dt.datetime | None = None) -> dict:
    """Counters, top categories today vs the last 7 days, and the latest tickets."""
    now = now or timezone.now()
    qs = scoped(user, area)
    counters = analytics.live_counters(qs, now=now)
    latest = (
        qs.exclude(status=Status.REFUSED).select_related("category__parent").order_by("-received_at", "-id")[:FEED_SIZE]
    )
    return {
        "now": now,
        "counters": {**counters.__dict__, "satisfaction_rate": counters.satisfaction_rate},
        "categories": [
            {**t.__dict__, "daily_mean_7_days": round(t.daily_mean_7_days, 2)}
            for t in analytics.category_trends(qs, now=now)
        ],
        "latest": [feed_item(t) for t in latest],
    }


def feed_item(t: Ticket) -> dict:
    text = " ".join(t.description.split())
    return {
        "number": t.number,
        "received_at": t.received_at,
        "status": t.status,
        "status_label": t.get_status_display(),
        "urgency": t.urgency,
        "category": t.category.path if t.category_id else "",
        "place": t.place_names,
        "summary": text[:40] + ("…" if len(text) > 40 else ""),
        "lon": round(t.point.x, 6) if t.point else None,
        "lat": round(t.point.y, 6) if t.point else None,
    }


def area_stats(user: User, *, level: str, parent: Area | None = None, now: dt.datetime | None = None) -> list[dict]:
    """Open and overdue tickets per area of a level (for the choropleth)."""
    counts = analytics.area_counts(scoped(user, parent), level=level, now=now)
    return [{"code": code, **c} for code, c in sorted(counts.items())]


def clusters(
    user,
    *,
    bbox: tuple[float, float, float, float],
    zoom: int,
    since: dt.datetime | None = None,
    category: Category | None = None,
    area: Area | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """A GeoJSON FeatureCollection of the view's tickets in server-side bins (a few thousand at most)."""
    now = now or timezone.now()
    since = since or now - DEFAULT_SINCE
    area_code = area.code if area is not None and area.level in (Level.COUNTY, Level.TOWNSHIP) else ""
    whole_areas = area is None or area.level == Level.CITY or area_code
    size = analytics.bin_size_for(bbox, zoom)
    if whole_areas and rollups.covers(user) and size >= rollups.MIN_CELL_M:
        # A city-wide view: bins from the daily/monthly counts, whatever the period [AN-1].
        bins, size = rollups.point_bins(
            bbox=bbox, zoom=zoom, since=since, now=now, area_code=area_code, category=category
        )
    elif whole_areas and rollups.covers(user) and category is None and rollups.grid_serves(size):
        # A township or a street (zoom ≤ 14): bins from the pre-binned grid's cells [AN-1].
        bins, size = rollups.grid_bins(bbox=bbox, zoom=zoom, since=since, now=now, area_code=area_code)
    else:
        qs = scoped(user, area).filter(received_at__gte=since)
        if category is not None:
            qs = filter_tickets(qs, category=category.code)
        bins, size = analytics.point_bins(qs, bbox=bbox, zoom=zoom, now=now)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(b.lon, 6), round(b.lat, 6)]},
            "properties": {
                "kind": "ticket" if b.count == 1 else "cluster",
                "count": b.count,
                "open": b.open,
                "overdue": b.overdue,
                "urgent": b.urgent,
                "number": b.number,
                "status": b.status,
                "urgency": b.urgency,
                "category": b.category,
            },
        }
        for b in bins
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "cell_m": round(size, 1),
        "total": sum(b.count for b in bins),
        "since": since,
    }


def _polygon_json(wkt_or_geom) -> dict:
    geom = GEOSGeometry(wkt_or_geom, srid=4326) if isinstance(wkt_or_geom, str) else wkt_or_geom
    return json.loads(geom.json)


def hotspots(
    user,
    *,
    category: Category | None = None,
    days: int | None = None,
    area: Area | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """Hotspots among the user's tickets (GeoJSON), each tied to its register entry when there is one."""
    now = now or timezone.now()
    found = find_hotspots(scoped(user, area), now=now, days=days, category=category, with_places=False)
    ids = [i for f in found for i in f.cluster.ticket_ids]
    register = list(
        Hotspot.objects.exclude(state=Hotspot.State.COOLED)
        .filter(ticket_ids__overlap=ids or [0])
        .only("id", "state", "ticket_ids", "category_id", "place_name", "centroid")
    )
    features = []
    for f in found:
        c = f.cluster
        mine = set(c.ticket_ids)
        match = max(
            (h for h in register if h.category_id == c.category_id and mine & set(h.ticket_ids)),
            key=lambda h: len(mine & set(h.ticket_ids)),
            default=None,
        )
        name_place(f, known=match)
        features.append(
            {
                "type": "Feature",
                "geometry": _polygon_json(c.hull_wkt),
                "properties": {
                    "label": f.label,
                    "category": c.category_code,
                    "category_name": c.category_name,
                    "count": c.count,
                    "first_at": c.first_at,
                    "last_at": c.last_at,
                    "window_days": c.window_days,
                    "radius_m": c.radius_m,
                    "county_code": c.county_code,
                    "township_code": c.township_code,
                    "township": f.township_name,
                    "place": f.place_name,
                    "centroid": [round(c.centroid[0], 6), round(c.centroid[1], 6)],
                    "tickets": c.numbers,
                    "ticket_urls": [f"/api/tickets/{n}/" for n in c.numbers],
                    "register_id": match.id if match else None,
                    "state": match.state if match else None,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def register_for(user: User, *, states: list[str] | None = None) -> list[Hotspot]:
    """Register entries with at least one ticket the user may see; new and growing first."""
    qs = Hotspot.objects.select_related("category__parent")
    qs = qs.filter(state__in=states) if states else qs.exclude(state=Hotspot.State.COOLED)
    entries = list(qs)
    all_ids = {i for h in entries for i in h.ticket_ids}
    visible = set(tickets_visible_to(user).filter(id__in=all_ids).values_list("id", flat=True)) if all_ids else set()
    order = {Hotspot.State.NEW: 0, Hotspot.State.GROWING: 1, Hotspot.State.STEADY: 2, Hotspot.State.COOLED: 3}
    entries = [h for h in entries if visible.intersection(h.ticket_ids)]
    entries.sort(key=lambda h: (order[h.state], -h.ticket_count, -h.id))
    return entries


def register_entry(h: Hotspot, *, numbers: dict[int, str]) -> dict:
    """One register entry; numbers maps ticket ids to numbers (fetched once for a whole list)."""
    return {
        "id": h.id,
        "label": h.label,
        "state": h.state,
        "state_label": h.get_state_display(),
        "category": h.category.path,
        "count": h.ticket_count,
        "peak_count": h.peak_count,
        "township_code": h.township_code,
        "detected_at": h.detected_at,
        "grew_at": h.grew_at,
        "last_at": h.last_at,
        "centroid": [round(h.centroid.x, 6), round(h.centroid.y, 6)],
        "tickets": [numbers[i] for i in h.ticket_ids if i in numbers],
        "case_opened_at": h.case_opened_at,
        "case_note": h.case_note,
    }
