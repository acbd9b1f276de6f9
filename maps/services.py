"""Writes of the maps: the hotspot register, supervision cases on hotspots, the notices for
the walls, and the pusher that delivers them.

One scheduler: the supervisor (`manage.py supervise`, jobs registered in maps.apps) refreshes
the register and sweeps for tickets that have just become overdue; both leave LiveNotice rows.
A web process computes nothing: its pusher (maps.consumers) claims the unpushed notices and
spike alerts and pushes them to its sockets."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point
from django.db import connection, transaction
from django.utils import timezone, translation

from core.api import Forbidden, NotFound
from dispatch import policy
from dispatch.models import OPEN_STATUSES, Ticket

from . import live
from .hotspots import find_hotspots, name_place
from .models import Hotspot, LiveNotice, LiveWatermark

if TYPE_CHECKING:
    from grid.models import User

STEADY_AFTER = dt.timedelta(hours=24)  # a hotspot that has not grown for a day is no longer news
_REGISTER_LOCK = 1_2345_0001  # pg advisory lock: one register refresh at a time, across processes


@dataclass
class RegisterChanges:
    formed: list[Hotspot] = field(default_factory=list)
    grew: list[Hotspot] = field(default_factory=list)
    cooled: list[Hotspot] = field(default_factory=list)
    unchanged: int = 0


def _polygon(wkt: str):
    geom = GEOSGeometry(wkt, srid=4326)
    if geom.geom_type != "Polygon":  # a buffered hull is a polygon; be safe with degenerate input
        geom = geom.convex_hull
    return geom


def refresh_hotspots(*, now: dt.datetime | None = None, notify: bool = True) -> RegisterChanges:
    """Cluster the city's tickets with the current rules and update the register: a cluster that
    shares tickets with an active hotspot of its category continues it (growing if it has more
    tickets), any other forms a new one, and an active hotspot no cluster continues cools down.
    New and growing hotspots leave a notice for the walls (pushed by the web processes) [AN-1].

    It runs in the supervisor's pass, so the Python side stays linear in the tickets:
    one ticket → hotspot index instead of pairwise set intersections, unchanged hotspots are not
    written, the rest are written in bulk."""
    now = now or timezone.now()
    changes = RegisterChanges()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_REGISTER_LOCK])
        found = find_hotspots(Ticket.objects.all(), now=now, with_places=False)
        active = {h.id: h for h in Hotspot.objects.exclude(state=Hotspot.State.COOLED).select_for_update()}
        owner = {(h.category_id, t): h.id for h in active.values() for t in h.ticket_ids}
        continued: set[int] = set()
        changed: list[Hotspot] = []
        for f in found:
            c = f.cluster
            votes = Counter(owner.get((c.category_id, t)) for t in c.ticket_ids)
            votes.pop(None, None)
            best_id = next((i for i, _n in votes.most_common() if i not in continued), None)
            if best_id is None:
                h = Hotspot(category_id=c.category_id, state=Hotspot.State.NEW, detected_at=now)
                name_place(f)
                _fill(h, f, now)
                changes.formed.append(h)
                continue
            best = active[best_id]
            continued.add(best_id)
            if set(best.ticket_ids) == set(c.ticket_ids):  # nothing new: no write, no gazetteer lookup
                if best.state != Hotspot.State.STEADY and now - (best.grew_at or best.detected_at) >= STEADY_AFTER:
                    best.state = Hotspot.State.STEADY
                    changed.append(best)
                changes.unchanged += 1
                continue
            # Growing means tickets received since the hotspot's latest one joined it, not a border
            # ticket that DBSCAN happened to give to a neighbouring cluster last time.
            grew = c.last_at > best.last_at
            name_place(f, known=best)
            _fill(best, f, now)
            if grew:
                best.state, best.grew_at = Hotspot.State.GROWING, now
                changes.grew.append(best)
            else:
                changes.unchanged += 1
            changed.append(best)
        if changes.formed:
            Hotspot.objects.bulk_create(changes.formed)
        if changed:
            Hotspot.objects.bulk_update(changed, [f.name for f in Hotspot._meta.concrete_fields if not f.primary_key])
        cooled = [h for i, h in active.items() if i not in continued]
        if cooled:
            Hotspot.objects.filter(id__in=[h.id for h in cooled]).update(
                state=Hotspot.State.COOLED, cooled_at=now, updated_at=now
            )
            for h in cooled:
                h.state, h.cooled_at = Hotspot.State.COOLED, now
            changes.cooled = cooled
        if notify:
            LiveNotice.objects.bulk_create(
                [
                    LiveNotice(kind=LiveNotice.Kind.HOTSPOT_FORMED, object_id=h.id, created_at=now)
                    for h in changes.formed
                ]
                + [LiveNotice(kind=LiveNotice.Kind.HOTSPOT_GREW, object_id=h.id, created_at=now) for h in changes.grew]
            )
    return changes


def _fill(h: Hotspot, f, now: dt.datetime) -> None:
    c = f.cluster
    h.label = f.label
    h.place_name = f.place_name
    h.county_code, h.township_code, h.community_code = c.county_code, c.township_code, c.community_code
    h.hull = _polygon(c.hull_wkt)
    h.centroid = Point(*c.centroid, srid=4326)
    h.ticket_count = c.count
    h.peak_count = max(h.peak_count or 0, c.count)
    h.ticket_ids = c.ticket_ids
    h.first_at, h.last_at = c.first_at, c.last_at
    h.window_days = c.window_days
    h.updated_at = now


def open_supervision_case(*, hotspot: Hotspot, by: User, note: str) -> Hotspot:
    """The center opens a supervision case on a hotspot [SV-1][SV-3] (concentrated events are focus cases)."""
    # a dispatcher of the center or sub-center; its wall viewers only watch
    if not policy.may_open_case(by):
        raise Forbidden(translation.gettext("Only the command center or a sub-center opens supervision cases."))
    with transaction.atomic():
        h = Hotspot.objects.select_for_update().filter(id=hotspot.id).first()
        if h is None:
            raise NotFound(translation.gettext("No such hotspot."))
        if h.case_opened_at is None:
            h.case_opened_at, h.case_opened_by, h.case_note = timezone.now(), by, note
            h.save(update_fields=["case_opened_at", "case_opened_by", "case_note"])
    return h


# -- the supervisor's jobs: find and record ------------------------------------------------

OVERDUE_SWEEP = "overdue"
MAX_SWEEP_BACK = dt.timedelta(hours=1)  # after a long stop, do not replay a backlog of old deadlines
NOTICES_KEPT = dt.timedelta(days=1)  # pushed notices are kept this long (for a look in admin), then pruned


def sweep_overdue(*, now: dt.datetime | None = None) -> list[int]:
    """Tickets whose resolve deadline passed since the last sweep and that are still open: record a
    "ticket.overdue" notice for each, once across all supervisors (the watermark's row lock).
    Returns their ids."""
    now = now or timezone.now()
    with transaction.atomic():
        mark = LiveWatermark.objects.select_for_update(skip_locked=True).filter(name=OVERDUE_SWEEP).first()
        if mark is None:  # first sweep ever (start from now), or another supervisor holds it this round
            LiveWatermark.objects.get_or_create(name=OVERDUE_SWEEP, defaults={"until": now})
            return []
        since = max(mark.until, now - MAX_SWEEP_BACK)
        ids = list(
            Ticket.objects.filter(status__in=OPEN_STATUSES, resolve_by__gt=since, resolve_by__lte=now)
            .order_by("resolve_by")
            .values_list("id", flat=True)[:500]
        )
        mark.until = now
        mark.save(update_fields=["until"])
        LiveNotice.objects.bulk_create(
            [LiveNotice(kind=LiveNotice.Kind.TICKET_OVERDUE, object_id=i, created_at=now) for i in ids]
        )
        LiveNotice.objects.filter(pushed_at__lt=now - NOTICES_KEPT).delete()
    return ids


_hotspot_state: dict = {}


def refresh_hotspots_if_new_tickets(*, now: dt.datetime) -> str:
    """The supervisor's hotspot job: re-cluster when tickets came in since the last refresh, at most
    once per MAPS_HOTSPOT_REFRESH_SECONDS (clustering the city is the heavier part of a pass)."""
    started = time.monotonic()
    if started - _hotspot_state.get("refreshed", -1e18) < settings.MAPS_HOTSPOT_REFRESH_SECONDS:
        return "not due"
    latest = Ticket.objects.order_by("-id").values_list("id", flat=True).first()
    if latest == _hotspot_state.get("latest"):
        return "no new tickets"
    changes = refresh_hotspots(now=now)
    _hotspot_state["latest"], _hotspot_state["refreshed"] = latest, started
    return f"{len(changes.formed)} formed, {len(changes.grew)} grew, {len(changes.cooled)} cooled"


# -- the web process's pusher: deliver what was recorded ------------------------------------

PUSH_WITHIN = dt.timedelta(minutes=15)  # older unpushed notices and alerts are marked, not announced again


def push_notices(*, now: dt.datetime | None = None, push: bool = True) -> list[int]:
    """The notices nobody has pushed yet: push each to the walls it concerns, once across all web
    processes (row locks, SKIP LOCKED). A notice left long before any wall was connected is only
    marked: the walls fetch the state when they connect. Returns the ids of the notices pushed."""
    now = now or timezone.now()
    with transaction.atomic():
        notices = list(
            LiveNotice.objects.select_for_update(skip_locked=True).filter(pushed_at__isnull=True).order_by("id")[:500]
        )
        if not notices:
            return []
        LiveNotice.objects.filter(id__in=[n.id for n in notices]).update(pushed_at=now)
        fresh = [n for n in notices if n.created_at >= now - PUSH_WITHIN]
        if push and fresh:
            transaction.on_commit(lambda: _deliver(fresh))
    return [n.id for n in fresh]


def _deliver(notices: list[LiveNotice]) -> None:
    hotspots = Hotspot.objects.select_related("category").in_bulk(
        [n.object_id for n in notices if n.kind != LiveNotice.Kind.TICKET_OVERDUE]
    )
    for n in notices:
        if n.kind == LiveNotice.Kind.TICKET_OVERDUE:
            live.push_ticket(n.object_id, n.kind)
        elif n.object_id in hotspots:
            live.push_hotspot(hotspots[n.object_id], n.kind)


def push_spike_alerts(*, now: dt.datetime | None = None, push: bool = True) -> list[int]:
    """Spike alerts nobody has pushed yet (the supervisor raised them): push "spike.raised" for each to
    the walls of its township, once across all web processes (row locks, SKIP LOCKED) [AN-1]. An
    alert raised long before any wall was connected is only marked: the walls fetch it with their
    state. Returns the ids pushed."""
    from alerts.models import SpikeAlert
    from alerts.selectors import attach_township_names

    now = now or timezone.now()
    with transaction.atomic():
        alerts = list(
            SpikeAlert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("category__parent")
            .filter(pushed_at__isnull=True)
            .order_by("detected_at", "id")[:100]
        )
        if not alerts:
            return []
        SpikeAlert.objects.filter(id__in=[a.id for a in alerts]).update(pushed_at=now)
        fresh = [a for a in alerts if a.detected_at >= now - PUSH_WITHIN]
        attach_township_names(fresh)
        if push and fresh:
            transaction.on_commit(lambda: [live.push_spike(a, township_name=a.township_name) for a in fresh])
    return [a.id for a in fresh]
