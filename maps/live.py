"""Live updates of the maps: small "this changed" messages pushed to the wall's
WebSockets through the Channels layer (in memory, or Redis with REDIS_URL).

A message goes to the groups of the areas and offices it concerns: the whole
city, the ticket's county, township and community, and the offices assigned to
it. Those groups only narrow the traffic; before a socket forwards a message
the consumer asks dispatch's one scope rule (tickets_visible_to) whether the
user may see it (see maps.consumers). A client that reconnects re-fetches the
whole state, so a dropped message is never a lost fact.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from contextlib import contextmanager

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from dispatch import policy
from dispatch.models import Assignment, Ticket
from grid.models import Level, Office

logger = logging.getLogger(__name__)

CITY_GROUP = "maps.city"
MESSAGE_TYPE = "maps.event"


def area_group(level: str, code: str) -> str:
    return f"maps.{level}.{code}"


def office_group(office_id: int) -> str:
    return f"maps.office.{office_id}"


def groups_for_office(office: Office | None) -> list[str]:
    """The groups a socket of this office listens to; the scope check on each message decides the rest."""
    if office is None or not office.is_active:
        return []
    if office.kind == Office.Kind.CITY_CENTER:
        return [CITY_GROUP]
    area_level = policy.level_of(office)  # None for a department: its own office group only
    groups = [office_group(office.id)]
    if area_level:
        groups.insert(0, area_group(area_level, office.area_code))
    return groups


def groups_for_places(
    *, county: str = "", township: str = "", community: str = "", office_ids: Iterable[int] = ()
) -> list[str]:
    groups = [CITY_GROUP]
    for level, code in ((Level.COUNTY, county), (Level.TOWNSHIP, township), (Level.COMMUNITY, community)):
        if code:
            groups.append(area_group(level, code))
    groups += [office_group(i) for i in sorted(set(office_ids))]
    return groups


_thread = threading.local()


@contextmanager
def sending_through(loop: asyncio.AbstractEventLoop):
    """Within this block, this worker thread sends through the server's event loop: the in-memory
    layer's queues belong to that loop and wake its sockets only when fed from it."""
    _thread.loop = loop
    try:
        yield
    finally:
        _thread.loop = None


def send(groups: list[str], event: dict, *, ticket_ids: list[int], spike_id: int | None = None) -> None:
    """Send one event to groups (from synchronous code). ticket_ids are what the scope check tests:
    a socket forwards the event only if its user may see at least one of them; a flare's event
    (spike_id) is checked against the flare's township instead."""
    layer = get_channel_layer()
    if layer is None:
        return
    event = {**event, "sent_at": time.time()}
    message = {"type": MESSAGE_TYPE, "key": uuid.uuid4().hex, "event": event, "ticket_ids": ticket_ids}
    if spike_id is not None:
        message["spike_id"] = spike_id
    loop = getattr(_thread, "loop", None)
    try:
        if loop is not None:
            asyncio.run_coroutine_threadsafe(_send_all(layer, groups, message), loop).result(timeout=10)
        else:
            async_to_sync(_send_all)(layer, groups, message)
    except Exception:  # a broken layer must never fail the write that triggered the push
        logger.exception("live push to %s failed", groups)


async def _send_all(layer, groups: list[str], message: dict) -> None:
    """The groups' sends at once, in one hop to the event loop: their Redis round trips overlap
    instead of queueing one after another in the thread that committed (issue 17, item 7).
    A group whose send fails is logged; the others are still sent."""
    # Each copy names its group: a process hears the groups through one hub channel (maps.consumers.Hub).
    sends = (layer.group_send(group, {**message, "group": group}) for group in groups)
    results = await asyncio.gather(*sends, return_exceptions=True)
    for group, result in zip(groups, results):
        if isinstance(result, BaseException):
            logger.error("live push to %s failed", group, exc_info=result)


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


# The ticket's fields ticket_event reads (push_ticket loads no others).
EVENT_FIELDS = (
    "number",
    "status",
    "urgency",
    "point",
    "county_code",
    "township_code",
    "community_code",
    "place_names",
    "received_at",
    "resolve_by",
    "category__code",
    "category__name",
    "category__parent_id",
    "category__parent__name",
)


def ticket_event(ticket: Ticket, kind: str, **extra) -> dict:
    """The small message about one ticket: enough to draw it and list it, no caller data [IN-2]."""
    category = ticket.category
    return {
        "type": kind,
        "number": ticket.number,
        "status": ticket.status,
        "urgency": ticket.urgency,
        "category": category.path if category else "",
        "category_code": category.code if category else "",
        "lon": round(ticket.point.x, 6) if ticket.point else None,
        "lat": round(ticket.point.y, 6) if ticket.point else None,
        "county_code": ticket.county_code,
        "township_code": ticket.township_code,
        "community_code": ticket.community_code,
        "place": ticket.place_names,
        "received_at": _iso(ticket.received_at),
        "resolve_by": _iso(ticket.resolve_by),
        **extra,
    }


def push_ticket(ticket_id: int, kind: str, **extra) -> None:
    """Push a ticket's change to the groups it concerns (called after the write has committed)."""
    # Only the columns ticket_event draws (not the whole ticket: the read was a fifth of intake's CPU).
    ticket = Ticket.objects.select_related("category__parent").only(*EVENT_FIELDS).filter(id=ticket_id).first()
    if ticket is None:
        return
    office_ids = Assignment.objects.filter(ticket_id=ticket_id, is_active=True).values_list("office_id", flat=True)
    groups = groups_for_places(
        county=ticket.county_code,
        township=ticket.township_code,
        community=ticket.community_code,
        office_ids=list(office_ids),
    )
    send(groups, ticket_event(ticket, kind, **extra), ticket_ids=[ticket.id])


def push_ticket_on_commit(ticket_id: int, kind: str, **extra) -> None:
    transaction.on_commit(lambda: push_ticket(ticket_id, kind, **extra))


def push_hotspot(hotspot, kind: str) -> None:
    """Tell the walls that a hotspot formed or grew."""
    event = {
        "type": kind,
        "id": hotspot.id,
        "label": hotspot.label,
        "count": hotspot.ticket_count,
        "category_code": hotspot.category.code,
        "lon": round(hotspot.centroid.x, 6),
        "lat": round(hotspot.centroid.y, 6),
        "township_code": hotspot.township_code,
    }
    places = Ticket.objects.filter(id__in=hotspot.ticket_ids).values_list(
        "county_code", "township_code", "community_code"
    )
    groups = {CITY_GROUP}
    for county, township, community in places.distinct():
        groups.update(groups_for_places(county=county, township=township, community=community))
    send(sorted(groups), event, ticket_ids=list(hotspot.ticket_ids))


def spike_event(alert, *, township_name: str = "") -> dict:
    """The wall's message about a flare [AN-1]: what, where, how many against the baseline, and
    when the 2-hour report is due."""
    return {
        "type": "spike.raised",
        "id": alert.id,
        "category": alert.category.path,
        "category_code": alert.category.code,
        "county_code": alert.county_code,
        "township_code": alert.township_code,
        "township": township_name or alert.township_code,
        "day": alert.day.isoformat(),
        "count": alert.count,
        "baseline_mean": alert.baseline_mean,
        "detected_at": _iso(alert.detected_at),
        "report_due": _iso(alert.report_due),
        "state": alert.state,
    }


def push_spike(alert, *, township_name: str = "") -> None:
    """Tell the walls of the city, the county and the township about a flare; each socket forwards it
    only if its user may see that township (maps.consumers checks alerts' rule)."""
    groups = groups_for_places(county=alert.county_code, township=alert.township_code)
    send(groups, spike_event(alert, township_name=township_name), ticket_ids=[], spike_id=alert.id)
