"""The supervisor [SV-1][SV-2][CB-1]: one pass flags and escalates what is owed.

- Near deadline (≥ 80% of the time used) or not signed for in time → reminder;
  overdue → phone supervision; overdue by the ticket's whole allowance (at most
  a day) → written supervision. Each step is an event and a message through
  the gateway to the lead unit, and a step the supervisor owed while it was
  down is still taken, in order.
- Repeat complaints [SV-2]: same category within 200 m or in the same
  community, raised within a month after the earlier one was resolved, or more
  than 6 days after an earlier one that is still unresolved. The repeat links to
  the earlier ticket and goes up to the unit head (department) or the county's
  leader in charge.
- Callbacks not made within 2 working days of closing [CB-1].

`supervise_once` is the first job of every `manage.py supervise` pass (core.jobs,
registered in dispatch.apps); the other apps' periodic jobs (spike alerts, the
hotspot register, the assessment) follow it in the same pass.

Every query takes its rows with SELECT … FOR UPDATE SKIP LOCKED and re-checks
the condition under the lock, so two supervisors running at once never act on
the same ticket twice, and a pass run twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from dispatch.models import (
    OPEN_STATUSES,
    RESOLVED_STATUSES,
    Assignment,
    Kind,
    OutboundMessage,
    Status,
    Ticket,
    TicketEvent,
)
from grid.models import Office

from .gateways import gateway
from .sla import NEAR_DEADLINE_FRACTION
from .texts import site_text
from .workflow import fire

REPEAT_RADIUS_M = 200
REPEAT_AFTER_CLOSURE = dt.timedelta(days=30)  # "within one month after closure"
REPEAT_UNRESOLVED_AFTER = dt.timedelta(days=6)
REPEAT_KINDS = (Kind.COMPLAINT, Kind.HELP, Kind.REPORT)

WRITTEN_AFTER_MAX = dt.timedelta(hours=24)  # written supervision: overdue by the allowance, at most a day
ESCALATIONS = {
    1: ("remind", OutboundMessage.Medium.SMS, "reminder"),
    2: ("phone_supervision", OutboundMessage.Medium.CALL, "phone_supervision"),
    3: ("written_supervision", OutboundMessage.Medium.LETTER, "written_supervision"),
}


@dataclass
class PassReport:
    reminders: int = 0
    phone: int = 0
    written: int = 0
    repeats: int = 0
    repeat_checked: int = 0
    callback_overdue: int = 0

    def __str__(self) -> str:
        return (
            f"reminders {self.reminders}, phone {self.phone}, written {self.written}, "
            f"repeats {self.repeats} of {self.repeat_checked} checked, callbacks overdue {self.callback_overdue}"
        )


def escalation_times(ticket: Ticket) -> dict[int, dt.datetime]:
    """When each escalation level falls due on a ticket's running clock (_OWED_LEVEL selects the same in SQL)."""
    window = ticket.resolve_by - ticket.clock_started_at
    remind = ticket.clock_started_at + window * NEAR_DEADLINE_FRACTION
    if ticket.status == Status.DISPATCHED and ticket.sign_by:
        remind = min(remind, ticket.sign_by)
    return {1: remind, 2: ticket.resolve_by, 3: ticket.resolve_by + min(window, WRITTEN_AFTER_MAX)}


_OWED_LEVEL = """
    CASE
      WHEN %(now)s >= t.resolve_by + LEAST(%(written_after)s, t.resolve_by - t.clock_started_at) THEN 3
      WHEN %(now)s >= t.resolve_by THEN 2
      WHEN %(now)s >= t.clock_started_at + (t.resolve_by - t.clock_started_at) * %(near)s
        OR (t.status = 'dispatched' AND t.sign_by IS NOT NULL AND %(now)s >= t.sign_by) THEN 1
      ELSE 0
    END
"""


def supervise_once(*, now: dt.datetime | None = None, batch: int = 500) -> PassReport:
    """One supervisor pass over every ticket; safe to run in several processes at once."""
    now = now or timezone.now()
    report = PassReport()
    while _escalate_batch(now, batch, report):
        pass
    while _repeat_batch(now, batch, report):
        pass
    while _callback_batch(now, batch, report):
        pass
    return report


def _lead_offices(ticket_ids: list[int]) -> dict[int, Assignment]:
    return {
        a.ticket_id: a
        for a in Assignment.objects.filter(ticket_id__in=ticket_ids, is_active=True, role="lead").select_related(
            "office"
        )
    }


def _send_many(messages: list[dict]) -> None:
    gw = gateway()
    if hasattr(gw, "send_many"):
        gw.send_many(messages)
    else:
        for m in messages:
            gw.send(**m)


@transaction.atomic
def _escalate_batch(now: dt.datetime, batch: int, report: PassReport) -> int:
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT t.id, {_OWED_LEVEL} AS owed FROM dispatch_ticket t
            WHERE t.status = ANY(%(open)s) AND t.resolve_by IS NOT NULL AND t.clock_started_at IS NOT NULL
              AND t.supervision_level < {_OWED_LEVEL}
            ORDER BY t.resolve_by, t.id
            LIMIT %(batch)s
            FOR UPDATE OF t SKIP LOCKED
            """,
            {
                "now": now,
                "near": NEAR_DEADLINE_FRACTION,
                "written_after": WRITTEN_AFTER_MAX,
                "open": list(OPEN_STATUSES),
                "batch": batch,
            },
        )
        owed = dict(cur.fetchall())
    if not owed:
        return 0
    tickets = list(Ticket.objects.filter(id__in=owed))
    leads = _lead_offices(list(owed))
    events, messages = [], []
    for ticket in tickets:
        lead = leads.get(ticket.id)
        total = (ticket.resolve_by - ticket.clock_started_at).total_seconds()
        used = (now - ticket.clock_started_at).total_seconds() / total if total > 0 else 1.0
        for level in range(ticket.supervision_level + 1, owed[ticket.id] + 1):
            action, medium, purpose = ESCALATIONS[level]
            note = escalation_note(ticket, level, used, now)
            events.append(
                fire(
                    ticket,
                    action,
                    note=note,
                    data={"level": level, "fraction_used": round(used, 3)},
                    at=now,
                    commit=False,
                )
            )
            if lead is not None:
                messages.append(
                    {
                        "medium": medium,
                        "purpose": purpose,
                        "ticket": ticket,
                        "to_office": lead.office,
                        "to_number": lead.office.phone,
                        "text": supervision_message(ticket, note),
                    }
                )
            report.reminders += level == 1
            report.phone += level == 2
            report.written += level == 3
        ticket.supervision_level = owed[ticket.id]
        if used >= NEAR_DEADLINE_FRACTION and ticket.near_deadline_at is None:
            ticket.near_deadline_at = now
        if now >= ticket.resolve_by and ticket.overdue_at is None:
            ticket.overdue_at = now
    TicketEvent.objects.bulk_create(events)
    Ticket.objects.bulk_update(tickets, ["supervision_level", "near_deadline_at", "overdue_at"])
    _send_many(messages)
    return len(tickets)


def supervision_message(ticket: Ticket, note: str) -> str:
    return site_text(gettext_noop("[Supervision] ticket %(number)s: %(note)s"), number=ticket.number, note=note)


def escalation_note(ticket: Ticket, level: int, used: float, now: dt.datetime) -> str:
    deadline = timezone.localtime(ticket.resolve_by).strftime("%m-%d %H:%M")
    if level == 1:
        late_sign = ticket.status == Status.DISPATCHED and ticket.sign_by and now >= ticket.sign_by
        if late_sign and used < NEAR_DEADLINE_FRACTION:
            sign_by = timezone.localtime(ticket.sign_by).strftime("%m-%d %H:%M")
            return site_text(
                gettext_noop("Reminder: not signed for in time (sign for by %(deadline)s)"), deadline=sign_by
            )
        return site_text(
            gettext_noop("Reminder: near the deadline, %(used)s of the time used; resolve by %(deadline)s"),
            used=f"{used:.0%}",
            deadline=deadline,
        )
    if level == 2:
        return site_text(gettext_noop("Phone supervision: overdue (resolve by %(deadline)s)"), deadline=deadline)
    return site_text(gettext_noop("Written supervision: long overdue (resolve by %(deadline)s)"), deadline=deadline)


# The earlier ticket's conditions, shared by the two index-friendly branches below.
_EARLIER = """
    e.category_id = c.category_id AND e.id <> c.id AND e.received_at < c.received_at
    AND e.received_at >= c.received_at - %(lookback)s AND e.status <> 'refused'
    AND (
      (e.status = ANY(%(resolved)s) AND e.replied_at IS NOT NULL
       AND c.received_at >= e.replied_at AND c.received_at <= e.replied_at + %(after_closure)s)
      OR (e.status = ANY(%(open)s) AND c.received_at > e.received_at + %(unresolved)s)
    )
"""
# Nearby (GiST on point) or in the same community (index on community, category): two branches,
# each able to use its index, instead of one OR that scans the whole category.
_REPEAT_SQL = f"""
WITH cand AS (
    SELECT t.id, t.kind, t.category_id, t.point, t.community_code, t.received_at
    FROM dispatch_ticket t
    WHERE t.repeat_checked_at IS NULL AND t.status <> 'refused'
    ORDER BY t.id
    LIMIT %(batch)s
    FOR UPDATE SKIP LOCKED
)
SELECT c.id, m.id
FROM cand c
LEFT JOIN LATERAL (
    SELECT u.id FROM (
        SELECT e.id, e.received_at FROM dispatch_ticket e
        WHERE c.point IS NOT NULL AND e.point && ST_Expand(c.point, 0.003)
          AND ST_DWithin(e.point::geography, c.point::geography, %(radius)s) AND {_EARLIER}
        UNION ALL
        SELECT e.id, e.received_at FROM dispatch_ticket e
        WHERE c.community_code <> '' AND e.community_code = c.community_code AND {_EARLIER}
    ) u
    WHERE c.kind = ANY(%(kinds)s) AND c.category_id IS NOT NULL
    ORDER BY u.received_at DESC, u.id DESC
    LIMIT 1
) m ON true
"""


@transaction.atomic
def _repeat_batch(now: dt.datetime, batch: int, report: PassReport) -> int:
    with connection.cursor() as cur:
        cur.execute(
            _REPEAT_SQL,
            {
                "batch": batch,
                "kinds": list(REPEAT_KINDS),
                "radius": REPEAT_RADIUS_M,
                "resolved": list(RESOLVED_STATUSES),
                "open": [*OPEN_STATUSES, Status.PENDING_DISPATCH],
                "after_closure": REPEAT_AFTER_CLOSURE,
                "unresolved": REPEAT_UNRESOLVED_AFTER,
                "lookback": REPEAT_AFTER_CLOSURE * 6,
            },
        )
        pairs = cur.fetchall()
    if not pairs:
        return 0
    checked = [c for c, _e in pairs]
    matches = {c: e for c, e in pairs if e is not None}
    Ticket.objects.filter(id__in=checked).update(repeat_checked_at=now)
    report.repeat_checked += len(checked)
    if not matches:
        return len(checked)
    tickets = list(Ticket.objects.filter(id__in=matches).select_related("center"))
    earlier = {t.id: t for t in Ticket.objects.filter(id__in=set(matches.values()))}
    leads = _lead_offices([*matches, *matches.values()])
    events, messages = [], []
    for ticket in tickets:
        first = earlier[matches[ticket.id]]
        lead = leads.get(ticket.id) or leads.get(first.id)
        department = lead is not None and lead.office.kind == Office.Kind.DEPARTMENT
        ticket.repeat_of = first
        ticket.attention = "unit_head" if department else "county_leader"
        if "repeat" not in ticket.focus_reasons:
            ticket.focus_reasons = [*ticket.focus_reasons, "repeat"]
        who = site_text(
            gettext_noop("the unit's head") if department else gettext_noop("the county's leader in charge")
        )
        note = site_text(
            gettext_noop("Repeat complaint: the same problem as ticket %(earlier)s; %(who)s follows it up"),
            earlier=first.number,
            who=who,
        )
        events.append(
            fire(
                ticket,
                "flag_repeat",
                note=note,
                data={"earlier": first.number, "attention": ticket.attention},
                at=now,
                commit=False,
            )
        )
        if lead is not None:
            messages.append(
                {
                    "medium": OutboundMessage.Medium.LETTER,
                    "purpose": "repeat_to_head",
                    "ticket": ticket,
                    "to_office": lead.office,
                    "to_number": lead.office.phone,
                    "text": site_text(
                        gettext_noop(
                            "[Repeat complaint] ticket %(number)s (earlier: %(earlier)s): %(who)s to follow it up in person."
                        ),
                        number=ticket.number,
                        earlier=first.number,
                        who=who,
                    ),
                }
            )
    TicketEvent.objects.bulk_create(events)
    Ticket.objects.bulk_update(tickets, ["repeat_of", "attention", "focus_reasons"])
    _send_many(messages)
    report.repeats += len(tickets)
    return len(checked)


@transaction.atomic
def _callback_batch(now: dt.datetime, batch: int, report: PassReport) -> int:
    tickets = list(
        Ticket.objects.select_for_update(skip_locked=True)
        .filter(
            status__in=(Status.CLOSED, Status.CALLBACK_MANUAL), callback_due__lt=now, callback_overdue_at__isnull=True
        )
        .order_by("callback_due", "id")[:batch]
    )
    events = []
    for ticket in tickets:
        events.append(
            fire(
                ticket,
                "flag_callback_overdue",
                note=site_text(
                    gettext_noop("Callback overdue: it was due by %(deadline)s"),
                    deadline=timezone.localtime(ticket.callback_due).strftime("%m-%d %H:%M"),
                ),
                at=now,
                commit=False,
            )
        )
        ticket.callback_overdue_at = now
    TicketEvent.objects.bulk_create(events)
    Ticket.objects.bulk_update(tickets, ["callback_overdue_at"])
    report.callback_overdue += len(tickets)
    return len(tickets)
