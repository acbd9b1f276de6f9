"""What dispatch tells the audit log (audit app): every ticket state change and
every showing of an unmasked caller [IN-2].

- State changes: a TicketEvent is the record of a transition; wherever one is
  persisted (TicketEvent.save and TicketEvent.objects.bulk_create, through the
  dispatch.signals.events_persisted signal, and the COPY loads of the importer
  and the demo directly) `record_events` writes its audit row in
  the same transaction, so a rolled-back change leaves no row and no change
  goes without one.
- Caller views: `selectors.caller_for` is the one place that hands out the
  caller's name, phone and e-mail; when it hands them out unmasked it calls
  `caller_viewed`, which defers the row to the end of the request (a list of 50
  tickets writes its 50 rows in one insert).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from audit.models import Action, AuditEntry
from audit.services import entry, record, record_many
from core.bulk import copy_insert
from dispatch.models import Ticket, TicketEvent
from grid.models import Office

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


def _attach_related(events: list) -> None:
    """Fill the events' ticket, actor and actor_office from three queries, not one or more per event
    (the bulk loaders hand over events that carry only the ids: 140,000 of them for the demo history)."""

    def missing(field: str) -> set:
        cache = TicketEvent._meta.get_field(field)
        return {getattr(e, f"{field}_id") for e in events if getattr(e, f"{field}_id") and not cache.is_cached(e)}

    tickets = Ticket.objects.only("id", "number").in_bulk(missing("ticket"))
    users = get_user_model().objects.select_related("office").in_bulk(missing("actor"))
    offices = Office.objects.in_bulk(missing("actor_office"))
    for e in events:
        if e.ticket_id in tickets:
            e.ticket = tickets[e.ticket_id]
        if e.actor_id in users:
            e.actor = users[e.actor_id]
        if e.actor_office_id in offices:
            e.actor_office = offices[e.actor_office_id]


def record_events(events: Iterable) -> int:
    """One audit row per persisted TicketEvent (who, office, from → to, the event's data; never its note)."""
    events = list(events)
    _attach_related(events)
    rows = [_event_row(e) for e in events]
    if len(rows) > COPY_THRESHOLD:
        copy_insert(AuditEntry, rows)
    else:
        record_many(rows)
    return len(rows)


def on_events_persisted(sender, events, **kwargs) -> None:
    """Receiver of dispatch.signals.events_persisted (connected in dispatch.apps)."""
    record_events(events)


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
