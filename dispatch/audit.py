"""What dispatch tells the audit log (audit app): every ticket state change and
every showing of an unmasked caller [IN-2].

- State changes: a TicketEvent is the record of a transition; wherever one is
  persisted (TicketEvent.save, TicketEvent.objects.bulk_create, and the COPY
  loads of the importer and the demo) `record_events` writes its audit row in
  the same transaction, so a rolled-back change leaves no row and no change
  goes without one.
- Caller views: `selectors.caller_for` is the one place that hands out the
  caller's name, phone and e-mail; when it hands them out unmasked it calls
  `caller_viewed`, which defers the row to the end of the request (a list of 50
  tickets writes its 50 rows in one insert).
"""

from __future__ import annotations

from collections.abc import Iterable

from audit.models import Action, AuditEntry
from audit.services import entry, record, record_many

from .bulk import copy_insert

COPY_THRESHOLD = 500  # above this many rows, COPY beats a multi-row INSERT


def _event_row(event) -> AuditEntry:
    ticket = event.ticket
    return entry(
        action=f"ticket.{event.action}",
        user=event.actor,
        office=event.actor_office,
        object_type="ticket",
        object_id=event.ticket_id or "",
        ticket_number=getattr(ticket, "number", "") or "",
        details={
            "event": event.pk,
            "from": event.from_status,
            "to": event.to_status,
            "event_at": event.at.isoformat() if event.at else None,
            "data": event.data or {},
        },
    )


def record_events(events: Iterable) -> int:
    """One audit row per persisted TicketEvent (who, office, from → to, the event's data; never its note)."""
    rows = [_event_row(e) for e in events]
    if len(rows) > COPY_THRESHOLD:
        copy_insert(AuditEntry, rows)
    else:
        record_many(rows)
    return len(rows)


def caller_viewed(user, ticket) -> None:
    """The caller's data of this ticket was shown unmasked to this user."""
    shown = [name for name in ("name", "phone", "email") if getattr(ticket, f"caller_{name}", "")]
    if not shown:
        return
    record(
        action=Action.CALLER_VIEWED,
        user=user,
        object_type="ticket",
        object_id=ticket.pk,
        ticket_number=ticket.number,
        details={"fields": shown},
        later=True,
    )
