"""Disputes over refused returns (退单争议审核) [AR-5]: a second, final ruling.

A unit whose return the center refused [AS-3] disputes the refusal once, with its reason, while it still
holds the assignment (not replied, not re-dispatched). An administrator of the ticket's center — the
center's leader: the roles have no supervisor, dispatch.policy.may_rule_return_dispute — who did not make
the first ruling gives the second: overturn (the return is approved through the normal approval path,
dispatch.services.approve_return, and the ticket goes to the office the unit suggested) or confirm.
Every step is a TicketEvent, so the ticket's history shows the dispute and its ruling. A refused return
counts against the unit [AR-2] until it is overturned; an approved one leaves its counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import ReturnDispute
from dispatch import policy
from dispatch.exceptions import NotPermitted, RuleViolation
from dispatch.models import Assignment, TicketEvent
from dispatch.services import approve_return
from dispatch.services.common import lock_ticket

if TYPE_CHECKING:
    from grid.models import User

HOLDING = (Assignment.State.ASSIGNED, Assignment.State.SIGNED)


def refusal_of(assignment: Assignment) -> TicketEvent | None:
    """The center's latest refusal of this assignment's return, if any."""
    return (
        TicketEvent.objects.filter(
            ticket_id=assignment.ticket_id, action="refuse_return", data__assignment=assignment.pk
        )
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )


def _event(dispute: ReturnDispute, ticket, *, action: str, by: User, note: str, to_status=None) -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        at=timezone.now(),
        actor=by,
        actor_office=by.office,
        action=action,
        from_status=ticket.status,
        to_status=to_status or ticket.status,
        note=note,
        data={
            "dispute": dispute.pk,
            "assignment": dispute.assignment_id,
            "refusal": dispute.refusal_event,
            "rule": "AR-5",
        },
    )


@transaction.atomic
def dispute_return(*, assignment: Assignment, by: User, reason: str) -> ReturnDispute:
    """[AR-5] The unit disputes the refusal of its return, once, while it still holds the ticket."""
    ticket = lock_ticket(assignment.ticket)
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if not policy.may_dispute_return(by, assignment):
        raise NotPermitted(_("Only the unit whose return was refused may dispute it."), code="not_your_return")
    refusal = refusal_of(assignment)
    if refusal is None:
        raise RuleViolation(_("The center has not refused a return of this assignment."), code="not_refused")
    if ReturnDispute.objects.filter(assignment=assignment).exists():
        raise RuleViolation(_("This refusal has already been disputed: a return is disputed once."), code="disputed")
    if not assignment.is_active or assignment.state not in HOLDING:
        raise RuleViolation(
            _("Your office no longer holds this ticket (replied or re-dispatched): nothing to dispute."),
            code="not_holding",
        )
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError({"reason": _("Say why the refusal is wrong (at least 4 characters).")})
    dispute = ReturnDispute.objects.create(
        ticket=ticket,
        assignment=assignment,
        refusal_event=refusal.pk,
        refused_at=refusal.at,
        refused_by=refusal.actor,
        refusal_note=refusal.note,
        reason=reason,
        filed_at=timezone.now(),
        filed_by=by,
    )
    _event(dispute, ticket, action="dispute_return", by=by, note=reason)
    return dispute


@transaction.atomic
def rule_return_dispute(*, dispute: ReturnDispute, by: User, overturn: bool, ruling: str) -> ReturnDispute:
    """[AR-5] The second, final ruling: overturn (the return is approved and re-dispatched) or confirm."""
    ticket = lock_ticket(dispute.ticket)
    dispute = ReturnDispute.objects.select_for_update().select_related("assignment").get(pk=dispute.pk)
    if not policy.may_rule_return_dispute(by, ticket):
        raise NotPermitted(
            _("The second ruling is given by an administrator of the ticket's center."), code="second_ruling_only"
        )
    if dispute.refused_by_id == by.pk:
        raise NotPermitted(
            _("You made the first ruling: another person gives the second."), code="same_person_rules_twice"
        )
    if dispute.state != ReturnDispute.State.OPEN:
        raise RuleViolation(_("This dispute has already been ruled on."), code="already_ruled")
    ruling = (ruling or "").strip()
    if len(ruling) < 4:
        raise ValidationError({"ruling": _("Give the grounds of the ruling (at least 4 characters).")})
    assignment = dispute.assignment
    if overturn and (not assignment.is_active or assignment.state not in HOLDING):
        raise RuleViolation(
            _("The unit no longer holds the ticket (replied or re-dispatched): the refusal can only be confirmed."),
            code="not_holding",
        )
    dispute.state = ReturnDispute.State.OVERTURNED if overturn else ReturnDispute.State.CONFIRMED
    dispute.ruled_at, dispute.ruled_by, dispute.ruling = timezone.now(), by, ruling
    dispute.save(update_fields=["state", "ruled_at", "ruled_by", "ruling"])
    _event(dispute, ticket, action="overturn_refusal" if overturn else "confirm_refusal_on_dispute", by=by, note=ruling)
    if overturn:  # back to a pending return, then the normal approval: re-dispatched to the suggested office
        Assignment.objects.filter(pk=assignment.pk).update(state=Assignment.State.RETURN_REQUESTED)
        approve_return(ticket=ticket, by=by, assignment_id=assignment.pk, note=ruling)
    return dispute
