"""Hotspots as the maps show them: the per-category rules, the clusters that
dispatch.analytics finds with them, and the label a person reads
("光明路街道 · 新建路 · 下水道堵塞 · 14 件 · 7 天") [AN-1][AN-3]."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, replace

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dispatch.analytics import ClusterRule, TicketCluster, ticket_clusters
from dispatch.models import Category, Ticket
from geo.selectors import reverse_geocode
from grid.models import Area

from .models import HotspotRule

logger = logging.getLogger(__name__)

DEFAULT_RULE = ClusterRule(radius_m=150, min_tickets=5, window_days=7)


def rules_by_category(*, days: int | None = None, category: Category | None = None) -> dict[int, ClusterRule]:
    """The DBSCAN parameters of every active leaf category: its own rule, else its parent's, else
    the default rule (category code empty), else 5 tickets / 150 m / 7 days. An inactive rule
    switches clustering off for what it covers. `days` overrides every window; `category`
    (a leaf or a top-level category) keeps only its leaves."""
    rules = {r.category_code: r for r in HotspotRule.objects.all()}
    default = rules.get("")
    base = (
        ClusterRule(default.radius_m, default.min_tickets, default.window_days)
        if default is not None and default.is_active
        else DEFAULT_RULE
    )
    leaves = Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent")
    if category is not None:
        leaves = leaves.filter(id=category.id) if category.parent_id else leaves.filter(parent_id=category.id)
    found: dict[int, ClusterRule] = {}
    for leaf in leaves:
        rule = rules.get(leaf.code) or rules.get(leaf.parent.code)
        if rule is None:
            chosen = base
        elif not rule.is_active:
            continue
        else:
            chosen = ClusterRule(rule.radius_m, rule.min_tickets, rule.window_days)
        found[leaf.id] = replace(chosen, window_days=days) if days else chosen
    return found


def leading_place(lon: float, lat: float) -> str:
    """The road (or else the named place) nearest the cluster's centre, from the gazetteer; '' when
    none is near (or the gazetteer is not loaded yet: the label then names the township only)."""
    try:
        found = reverse_geocode(lon, lat)
    except Exception:  # a gazetteer failure must not take the hotspots down
        logger.exception("reverse geocoding a hotspot failed")
        return ""
    if not found:
        return ""
    if found.get("road"):
        return found["road"]["name"]
    if found.get("place"):
        return found["place"]["label"]
    return ""


def township_names(codes: set[str]) -> dict[str, str]:
    return dict(Area.objects.current().filter(code__in=codes).values_list("code", "name"))


def hotspot_label(*, township: str, place: str, category: str, count: int, days: int) -> str:
    """光明路街道 · 新建路 · 下水道堵塞 · 14 件 · 7 天 (the road or place left out when unknown)."""
    parts = [township, place, category, _("%(count)s tickets") % {"count": count}, _("%(days)s days") % {"days": days}]
    return " · ".join(p for p in parts if p)


@dataclass
class FoundHotspot:
    cluster: TicketCluster
    township_name: str
    place_name: str
    label: str


def find_hotspots(
    qs: QuerySet[Ticket],
    *,
    now: dt.datetime,
    days: int | None = None,
    category: Category | None = None,
    with_places: bool = True,
) -> list[FoundHotspot]:
    """Hotspots among the tickets of qs (scope it first), labelled, biggest first."""
    clusters = ticket_clusters(qs, rules=rules_by_category(days=days, category=category), now=now)
    names = township_names({c.township_code for c in clusters if c.township_code})
    found = []
    for c in clusters:
        township = names.get(c.township_code, "")
        place = leading_place(*c.centroid) if with_places else ""
        label = hotspot_label(
            township=township, place=place, category=c.category_name, count=c.count, days=c.window_days
        )
        found.append(FoundHotspot(cluster=c, township_name=township, place_name=place, label=label))
    return found


PLACE_KEPT_WITHIN_M = 100  # a hotspot that moved less keeps its road or place (no new gazetteer lookup)


def name_place(found: FoundHotspot, *, known=None) -> None:
    """Give a found hotspot its leading road or place and its label; a register entry (known) that
    has hardly moved lends its place name instead of a new gazetteer lookup."""
    c = found.cluster
    place = None
    if known is not None and known.place_name and known.centroid is not None:
        if _metres_between(c.centroid, (known.centroid.x, known.centroid.y)) <= PLACE_KEPT_WITHIN_M:
            place = known.place_name
    if place is None:
        place = leading_place(*c.centroid)
    found.place_name = place
    found.label = hotspot_label(
        township=found.township_name, place=place, category=c.category_name, count=c.count, days=c.window_days
    )


def _metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance of two nearby lon/lat points (equirectangular: exact enough within a few km, and no
    projection set-up, which GDAL makes cost tens of milliseconds per call)."""
    lat = math.radians((a[1] + b[1]) / 2)
    dx = math.radians(a[0] - b[0]) * math.cos(lat)
    dy = math.radians(a[1] - b[1])
    return 6_371_000 * math.hypot(dx, dy)
