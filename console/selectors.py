"""The console's reads: the caller's history for the screen pop [SV-2], the agent's calls, and the
wall's call figures."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone

from dispatch.models import Status
from dispatch.policy import tickets_visible_to
from grid.models import Office

from .models import CallRecord, LeaderDay, Seat
from .suggest import STILL_OPEN

if TYPE_CHECKING:
    from grid.models import User

HISTORY_DAYS = 365
REPEAT_AFTER_CLOSE_DAYS = 30  # [SV-2] the same problem again within one month after closure
REPEAT_UNRESOLVED_DAYS = 6  # [SV-2] or still unresolved more than 6 days after the first call
WAITING_STALE = dt.timedelta(minutes=10)  # a ringing call older than this lost its hang-up event


def caller_history(user: User, phone: str, *, now: dt.datetime | None = None) -> dict:
    """The screen pop: this number's tickets of the last 12 months that the user may see, open ones
    first — those it called in and those it was linked to — and whether it is a repeat caller [SV-2]."""
    now = now or timezone.now()
    if not phone:
        return {"tickets": [], "repeat": False, "repeat_why": ""}
    qs = (
        tickets_visible_to(user)
        .filter(
            Q(caller_phone=phone) | Q(call_links__call__caller=phone),
            received_at__gte=now - dt.timedelta(days=HISTORY_DAYS),
        )
        .distinct()
        .select_related("category")
        .annotate(
            is_open=Case(When(status__in=STILL_OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("is_open", "-received_at")
    )
    tickets = list(qs[:20])
    repeat_why = ""
    for t in tickets:
        if t.status in STILL_OPEN and t.received_at < now - dt.timedelta(days=REPEAT_UNRESOLVED_DAYS):
            repeat_why = "unresolved"
            break
        if t.closed_at and t.closed_at >= now - dt.timedelta(days=REPEAT_AFTER_CLOSE_DAYS):
            repeat_why = "recently_closed"
    return {
        "tickets": [
            {
                "number": t.number,
                "status": t.status,
                "status_label": str(Status(t.status).label),
                "open": t.status in STILL_OPEN,
                "category": t.category.path if t.category else "",
                "description": t.description[:120],
                "place": t.place_names,
                "received_at": timezone.localtime(t.received_at).isoformat(),
            }
            for t in tickets
        ],
        "repeat": bool(repeat_why),
        "repeat_why": repeat_why,
    }


def _calls_in_scope(user: User):
    """The calls of the user's center: all of them for the city center, a sub-center's own."""
    office = getattr(user, "office", None)
    qs = CallRecord.objects.all()
    if office is None:
        return qs.none()
    if office.kind == Office.Kind.CITY_CENTER:
        return qs
    return qs.filter(office_id=office.id)


def _seats_in_scope(user: User):
    office = getattr(user, "office", None)
    if office is None:
        return Seat.objects.none()
    if office.kind == Office.Kind.CITY_CENTER:
        return Seat.objects.all()
    return Seat.objects.filter(office_id=office.id)


def wall_figures(user: User, *, now: dt.datetime | None = None) -> dict:
    """Calls waiting, answered today, the answer rate, agents on seat, a leader on the line [CT-4]."""
    now = now or timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    calls = _calls_in_scope(user).filter(direction=CallRecord.Direction.INBOUND)
    waiting = calls.filter(state=CallRecord.State.RINGING, rang_at__gte=now - WAITING_STALE).count()
    today = calls.filter(rang_at__gte=day_start)
    answered = today.filter(answered_at__isnull=False).count()
    missed = today.filter(state=CallRecord.State.MISSED).count()
    offered = answered + missed
    leader = calls.filter(state=CallRecord.State.ANSWERED, leader_answered=True).exists()
    return {
        "waiting": waiting,
        "answered_today": answered,
        "missed_today": missed,
        "answer_rate": round(answered / offered, 4) if offered else None,
        "agents_on_seat": _seats_in_scope(user).filter(signed_in_at__isnull=False).count(),
        "leader_on_line": leader,
        "at": timezone.localtime(now).isoformat(),
    }


def calls_of(user: User, *, limit: int = 20) -> list[dict]:
    """The agent's own recent calls with the tickets that came of them (also calls without one)."""
    calls = CallRecord.objects.filter(agent_id=user.pk).prefetch_related("ticket_links__ticket").order_by("-rang_at")
    return [
        {
            "call_id": c.call_id,
            "direction": c.direction,
            "caller": c.caller,
            "callee": c.callee,
            "state": c.state,
            "rang_at": timezone.localtime(c.rang_at).isoformat(),
            "talk_seconds": c.talk_seconds,
            "recording_url": c.recording_url,
            "transferred_to": c.transferred_to,
            "tickets": [{"number": link.ticket.number, "relation": link.relation} for link in c.ticket_links.all()],
        }
        for c in calls[:limit]
    ]


def leader_days(user: User, *, days: int = 31) -> list[dict]:
    """[CT-4] The coming leaders' answering days of the user's center (all of them for the city center)."""
    today = timezone.localdate()
    qs = LeaderDay.objects.filter(day__gte=today, day__lte=today + dt.timedelta(days=days)).select_related(
        "leader", "office"
    )
    office = getattr(user, "office", None)
    if office is None:
        return []
    if office.kind != Office.Kind.CITY_CENTER:
        qs = qs.filter(office_id=office.id)
    return [
        {
            "id": d.id,
            "day": d.day.isoformat(),
            "kind": d.kind,
            "kind_label": d.get_kind_display(),
            "leader": str(d.leader),
            "office": d.office.name,
            "topics": d.topics,
            "bookings": d.bookings.count(),
        }
        for d in qs.order_by("day")
    ]
