"""What one service request shows to whom (issue 18, docs/SECURITY.md "Open311").

Three views of a ticket, never its caller (name, phone, e-mail never appear in Open311) [IN-2]:

- ``full``: the client that filed it (its API key sent with the GET) sees its own requests as filed:
  the text, the address, the exact point, the photo, the accepted reply.
- ``public``: a request the caller chose to make public (Ticket.is_public): the text, the address and
  the reply redacted by core.redact (the same redactor as the citizen's public record), the point
  rounded to about 100 m (3 decimals, as the public map does), no photo (a picture cannot be redacted).
- ``summary``: every other request: its number, status, service, the agency responsible and the dates;
  the text, address, point, photo and notes are blank. Anyone can follow a case and count the city's
  work; nobody reads a private citizen's words or finds their door.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch
from django.utils import timezone

from core.redact import redact
from dispatch.models import Assignment, Reply, Status, Ticket

CLOSED = (Status.CLOSED, Status.CALLBACK_MANUAL, Status.ARCHIVED)
PUBLIC_DECIMALS = 3  # about 100 m: near the place, not at the door

FULL, PUBLIC, SUMMARY = "full", "public", "summary"
# Ticket.extra keys set at intake (open311.views.RequestsView.post)
CLIENT_KEY = "open311_client"
REAL_NAME_KEY = "real_name_held_by"


def iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def visible_requests():
    """Every published request (refused intakes are not) with what a row needs, in two queries more."""
    return (
        Ticket.objects.exclude(status=Status.REFUSED)
        .select_related("category", "center")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(is_active=True, role="lead").select_related("office"),
            ),
            Prefetch("replies", queryset=Reply.objects.filter(role="lead", review="accepted").order_by("-id")),
            "attachments",
        )
    )


def view_of(ticket: Ticket, client: str | None) -> str:
    """Which view of `ticket` the caller gets: `client` is the API key's client ("open311:<pk>") or None."""
    if client and (ticket.extra or {}).get(CLIENT_KEY) == client:
        return FULL
    return PUBLIC if ticket.is_public else SUMMARY


def request_row(t: Ticket, view: str = FULL) -> dict:
    lead = next((a for a in t.assignments.all()), None)
    closed = t.status in CLOSED
    row = {
        "service_request_id": t.number,
        "status": "closed" if closed else "open",
        "status_notes": "",
        "service_name": t.category.name if t.category_id else "",
        "service_code": t.category.code if t.category_id else "",
        "description": "",
        "agency_responsible": lead.office.name if lead else (t.center.name if t.center_id else ""),
        "service_notice": "",
        "requested_datetime": iso(t.received_at),
        "updated_datetime": iso(t.updated_at),
        "expected_datetime": iso(t.resolve_by),
        "address": "",
        "address_id": "",
        "zipcode": "",
        "lat": None,
        "long": None,
        "media_url": None,
    }
    if view == SUMMARY:
        return row
    notes = ""
    if t.status == Status.ARCHIVED and t.answer:
        notes = t.answer
    elif closed:
        accepted = next(iter(t.replies.all()), None)
        notes = accepted.result if accepted else ""
    address = t.address or t.place_names
    if view == PUBLIC:
        row.update(
            status_notes=redact(notes),
            description=redact(t.description),
            address=redact(address),
            lat=round(t.point.y, PUBLIC_DECIMALS) if t.point else None,
            long=round(t.point.x, PUBLIC_DECIMALS) if t.point else None,
        )
        return row
    row.update(
        status_notes=notes,
        description=t.description,
        address=address,
        lat=t.point.y if t.point else None,
        long=t.point.x if t.point else None,
        media_url=next((a.file.url if a.file else a.url for a in t.attachments.all()), None),
    )
    return row
