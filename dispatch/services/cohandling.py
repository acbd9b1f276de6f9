"""Co-handling [AS-2]: the lead convenes the units it needs (首接负责制), and a co-handler that lets its
part run late does not hold the lead's reply back; it is flagged instead."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dispatch import policy, workflow
from dispatch.gateways import gateway
from dispatch.models import Assignment, OutboundMessage, Ticket, TicketEvent
from dispatch.services.common import _office, lock_ticket
from dispatch.texts import site_text
from dispatch.workflow import fire
from grid.models import Office

if TYPE_CHECKING:
    from grid.models import User


@transaction.atomic
def add_co_handler(*, ticket: Ticket, by: User, office: Office | str, note: str = "") -> Assignment:
    """[AS-2] The lead unit brings another unit in as a co-handler of the current round."""
    ticket = lock_ticket(ticket)
    assignment = policy.authorize(ticket, "add_co_handler", by)
    workflow.check(ticket, "add_co_handler")
    policy.require_ready("add-co-handler", policy.Situation(ticket, assignment, [], []))
    office = _office(office)
    if ticket.assignments.filter(is_active=True, office=office).exists():
        raise ValidationError({"office": _("%(office)s already holds this ticket.") % {"office": office.name}})
    now = timezone.now()
    added = Assignment.objects.create(
        ticket=ticket,
        office=office,
        role=Assignment.Role.CO,
        step=ticket.step,
        why=site_text(
            gettext_noop("the lead %(lead)s brought it in as a co-handler: %(note)s [AS-2]"),
            lead=assignment.office.name,
            note=note or "—",
        ),
        dispatched_by=assignment.office,
        assigned_at=now,
    )
    fire(ticket, "add_co_handler", by=by, note=note, data={"office": office.code})
    if "multi_unit" not in ticket.focus_reasons:
        ticket.focus_reasons = [*ticket.focus_reasons, "multi_unit"]
    ticket.save()
    return added


def flag_late_co_handlers(ticket: Ticket, late: list[Assignment], *, now) -> str:
    """[AS-2] The late co-handlers of a lead's reply: each flagged (an event, a notice to the unit); the text
    the reply carries to say so."""
    if not late:
        return ""
    events, lines = [], []
    for a in late:
        due = policy.co_handler_deadline(ticket, a)
        line = site_text(
            gettext_noop("%(office)s (co-handler) did not reply by %(deadline)s: the lead replied without its part."),
            office=a.office.name,
            deadline=timezone.localtime(due).strftime("%m-%d %H:%M"),
        )
        lines.append(line)
        events.append(
            fire(
                ticket,
                "flag_co_handler_late",
                note=line,
                data={"office": a.office.code, "assignment": a.pk, "due": due.isoformat()},
                at=now,
                commit=False,
            )
        )
        gateway().send(
            medium=OutboundMessage.Medium.SMS,
            purpose="co_handler_late",
            ticket=ticket,
            to_office=a.office,
            to_number=a.office.phone,
            text=site_text(gettext_noop("[Supervision] ticket %(number)s: %(note)s"), number=ticket.number, note=line),
        )
    TicketEvent.objects.bulk_create(events)
    return "\n".join(lines)
