"""Returns [AS-3] and extensions [SLA-3]: a unit asks, the center rules."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dispatch import policy, workflow
from dispatch.exceptions import RuleViolation
from dispatch.models import (
    Assignment,
    ExtensionRequest,
    Status,
    Ticket,
)
from dispatch.services.common import _office, lock_ticket
from dispatch.services.intake import start_clock
from dispatch.texts import site_text
from dispatch.workflow import SAME, fire
from grid.models import Office

if TYPE_CHECKING:
    from grid.models import User


@transaction.atomic
def request_return(*, ticket: Ticket, by: User, reason: str, suggested_office: Office | str) -> Ticket:
    """[AS-3] A unit returns a ticket outside its remit within the return window, saying why and to whom."""
    ticket = lock_ticket(ticket)
    assignment = policy.authorize(ticket, "request_return", by)
    workflow.check(ticket, "request_return", to=Status.RETURN_REQUESTED if assignment.role == "lead" else SAME)
    policy.require_ready("return", policy.Situation(ticket, assignment, [], []))
    now = timezone.now()
    window = ticket.sla_policy.return_window_hours if ticket.sla_policy else 12
    if now > assignment.assigned_at + dt.timedelta(hours=window):
        raise RuleViolation(
            _("The return window of %(hours)s hours after receiving the ticket has passed.") % {"hours": window},
            code="return_window_passed",
        )
    suggested = _office(suggested_office, field="suggested_office")
    if suggested.pk == assignment.office_id:
        raise ValidationError({"suggested_office": _("Suggest another office than your own.")})
    if len(reason.strip()) < 4:
        raise ValidationError({"reason": _("Give the reason for returning the ticket.")})
    fire(
        ticket,
        "request_return",
        to=Status.RETURN_REQUESTED if assignment.role == "lead" else SAME,
        by=by,
        note=reason,
        data={"assignment": assignment.pk, "suggested_office": suggested.code},
    )
    assignment.state = Assignment.State.RETURN_REQUESTED
    assignment.return_reason, assignment.suggested_office, assignment.return_requested_at = reason, suggested, now
    assignment.save()
    ticket.save()
    return ticket


def _pending_return(ticket: Ticket, assignment_id: int | None) -> Assignment:
    pending = ticket.assignments.filter(is_active=True, state=Assignment.State.RETURN_REQUESTED)
    if assignment_id:
        pending = pending.filter(pk=assignment_id)
    found = list(pending.select_related("office", "suggested_office"))
    if not found:
        raise RuleViolation(_("No return request is pending on this ticket."), code="no_return_pending")
    if len(found) > 1:
        raise ValidationError({"assignment": _("Several returns are pending: say which assignment.")})
    return found[0]


def _status_after_return(ticket: Ticket) -> str:
    lead = ticket.assignments.filter(is_active=True, role=Assignment.Role.LEAD).first()
    return Status.IN_PROGRESS if lead and lead.signed_at else Status.DISPATCHED


@transaction.atomic
def approve_return(
    *, ticket: Ticket, by: User, office: Office | str | None = None, assignment_id: int | None = None, note: str = ""
) -> Ticket:
    """[AS-3] The center agrees to a return and re-dispatches to the suggested (or another) office."""
    ticket = lock_ticket(ticket)
    policy.authorize(ticket, "approve_return", by)
    returned = _pending_return(ticket, assignment_id)
    new_office = _office(office) if office else returned.suggested_office
    if ticket.assignments.filter(is_active=True, office=new_office).exclude(pk=returned.pk).exists():
        raise ValidationError({"office": _("%(office)s already holds this ticket.") % {"office": new_office.name}})
    lead = returned.role == Assignment.Role.LEAD
    fire(
        ticket,
        "approve_return",
        to=Status.DISPATCHED if lead else SAME,
        by=by,
        note=note,
        data={"returned_by": returned.office.code, "to": new_office.code},
    )
    now = timezone.now()
    returned.state, returned.is_active = Assignment.State.RETURNED, False
    returned.save(update_fields=["state", "is_active"])
    if lead:
        ticket.step += 1
        ticket.signed_at = None
        start_clock(ticket, policy=ticket.sla_policy, start=now)
    Assignment.objects.create(
        ticket=ticket,
        office=new_office,
        role=returned.role,
        step=ticket.step,
        why=site_text(
            gettext_noop("re-dispatched after %(office)s returned it (%(reason)s)%(note)s [AS-3]"),
            office=returned.office.name,
            reason=returned.return_reason,
            note=f"; {note}" if note else "",
        ),
        dispatched_by=by.office,
        assigned_at=now,
    )
    returns = ticket.events.filter(action="request_return").count()
    if returns >= 2 and "buck_passing" not in ticket.focus_reasons:
        ticket.focus_reasons = [*ticket.focus_reasons, "buck_passing"]
    ticket.save()
    return ticket


@transaction.atomic
def refuse_return(*, ticket: Ticket, by: User, note: str, assignment_id: int | None = None) -> Ticket:
    """[AS-3] The center refuses a return: the unit keeps the ticket."""
    ticket = lock_ticket(ticket)
    policy.authorize(ticket, "refuse_return", by)
    returned = _pending_return(ticket, assignment_id)
    if not note.strip():
        raise ValidationError({"note": _("Say why the return is refused.")})
    returned.state = Assignment.State.SIGNED if returned.signed_at else Assignment.State.ASSIGNED
    returned.save(update_fields=["state"])
    to = _status_after_return(ticket) if returned.role == Assignment.Role.LEAD else SAME
    fire(ticket, "refuse_return", to=to, by=by, note=note, data={"assignment": returned.pk})
    ticket.save()
    return ticket


@transaction.atomic
def request_extension(*, ticket: Ticket, by: User, days: int, reason: str, signed_off_by: str) -> ExtensionRequest:
    """[SLA-3] One request per step, before the deadline, at most 6 days, signed off by the unit head."""
    ticket = lock_ticket(ticket)
    assignment = policy.authorize(ticket, "request_extension", by)
    workflow.check(ticket, "request_extension")
    policy.require_ready("request-extension", policy.Situation(ticket, assignment, [], []))
    limit = ticket.sla_policy.max_extension_days if ticket.sla_policy else 6
    errors = {}
    if not 1 <= days <= limit:
        errors["days"] = _("An extension is 1 to %(limit)s days.") % {"limit": limit}
    if len(reason.strip()) < 4:
        errors["reason"] = _("Give the reason for the extension.")
    if not signed_off_by.strip():
        errors["signed_off_by"] = _("Name the unit head who signed the request.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    if ticket.resolve_by is None or now >= ticket.resolve_by:
        raise RuleViolation(_("An extension must be asked for before the deadline."), code="deadline_passed")
    if ticket.extensions.filter(step=ticket.step).exists():
        raise RuleViolation(_("This step has already had its one extension request."), code="extension_used")
    fire(ticket, "request_extension", by=by, note=reason, data={"days": days, "signed_off_by": signed_off_by})
    request = ExtensionRequest.objects.create(
        ticket=ticket,
        assignment=assignment,
        step=ticket.step,
        days=days,
        reason=reason,
        signed_off_by=signed_off_by,
        requested_at=now,
        requested_by=by,
        deadline_before=ticket.resolve_by,
    )
    ticket.save()
    return request


def _pending_extension(ticket: Ticket) -> ExtensionRequest:
    request = ticket.extensions.filter(step=ticket.step, state=ExtensionRequest.State.PENDING).first()
    if request is None:
        raise RuleViolation(_("No extension request is pending on this ticket."), code="no_extension_pending")
    return request


@transaction.atomic
def approve_extension(*, ticket: Ticket, by: User, note: str = "") -> Ticket:
    """[SLA-3] The center approves: the resolve deadline moves by the days asked."""
    ticket = lock_ticket(ticket)
    policy.authorize(ticket, "approve_extension", by)
    workflow.check(ticket, "approve_extension")
    request = _pending_extension(ticket)
    new_deadline = ticket.resolve_by + dt.timedelta(days=request.days)
    fire(
        ticket,
        "approve_extension",
        by=by,
        note=note,
        data={"days": request.days, "from": ticket.resolve_by.isoformat(), "to": new_deadline.isoformat()},
    )
    request.state, request.decided_at, request.decided_by = ExtensionRequest.State.APPROVED, timezone.now(), by
    request.decision_note, request.deadline_after = note, new_deadline
    request.save()
    ticket.resolve_by = new_deadline
    ticket.near_deadline_at = ticket.overdue_at = None
    ticket.supervision_level = 0
    ticket.save()
    return ticket


@transaction.atomic
def refuse_extension(*, ticket: Ticket, by: User, note: str) -> Ticket:
    ticket = lock_ticket(ticket)
    policy.authorize(ticket, "refuse_extension", by)
    workflow.check(ticket, "refuse_extension")
    request = _pending_extension(ticket)
    if not note.strip():
        raise ValidationError({"note": _("Say why the extension is refused.")})
    fire(ticket, "refuse_extension", by=by, note=note, data={"days": request.days})
    request.state, request.decided_at, request.decided_by = ExtensionRequest.State.REFUSED, timezone.now(), by
    request.decision_note = note
    request.save()
    ticket.save()
    return ticket
