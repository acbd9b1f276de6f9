"""[ORG-5][AS-3] Delegation inside a township: a service center or a workstation head hands its work to a
community workstation or a grid worker, who accepts it or hands it back, or the delegating office takes it back."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import services as dispatch_services
from dispatch.exceptions import NotPermitted, RuleViolation
from dispatch.fieldwork import workflow
from dispatch.fieldwork.models import CommunityReply, Delegation
from dispatch.fieldwork.services.common import (
    _active_delegation,
    _delegation_from,
    _delegation_to,
    _office,
    _own_assignment,
    _user,
)
from dispatch.models import Assignment, Ticket
from dispatch.policy import COMMUNITY_ROLES, DELEGATOR_ROLES
from dispatch.services.common import lock_ticket
from grid.models import Office, Role, User


@transaction.atomic
def delegate(
    *, ticket: Ticket, by: User, office: Office | str | None = None, worker: User | int | None = None, note: str = ""
):
    """[ORG-5] Hand the work on a ticket the user's office holds to a community workstation or a grid worker.

    A township service center delegates to the workstation of the ticket's own
    community (so the workstation sees it through the one scope selector), or to
    one of its grid workers; a workstation head to a grid worker of the
    workstation. The delegating office keeps its assignment (and signs for it
    now if it had not), and a delegation made before is replaced.
    """
    ticket = lock_ticket(ticket)
    if getattr(by, "role", None) not in DELEGATOR_ROLES:
        raise NotPermitted(_("Only a service-center handler or a workstation head may delegate."), code="role")
    assignment = _own_assignment(ticket, by)
    if assignment is None:
        raise NotPermitted(_("Your office holds no active assignment on this ticket."), code="not_assigned")
    workflow.check(ticket, "delegate")
    if assignment.state not in (Assignment.State.ASSIGNED, Assignment.State.SIGNED):
        raise RuleViolation(_("Your office's part of this ticket cannot be delegated now."), code="not_delegable")
    target = _office(office, field_name="office")
    worker = _user(worker)
    if target is None and worker is not None:
        target = worker.office
    holder = assignment.office
    errors = {}
    if holder.kind == Office.Kind.TOWNSHIP_CENTER:
        if target is None:
            errors["office"] = _("Choose the workstation or the grid worker.")
        elif (
            target.kind != Office.Kind.WORKSTATION
            or target.parent_id != holder.id
            or not ticket.community_code
            or target.area_code != ticket.community_code
        ):
            errors["office"] = _(
                "Delegate to the workstation of the ticket's own community (%(community)s): it is the one that can see it."
            ) % {"community": ticket.place_names.rsplit(" / ", 1)[-1] if ticket.community_code else _("none")}
    elif holder.kind == Office.Kind.WORKSTATION:
        if target is None:
            target = holder
        if target.pk != holder.pk:
            errors["office"] = _("A workstation hands work only to its own grid workers.")
        elif worker is None:
            errors["worker"] = _("Choose the grid worker.")
    else:
        raise NotPermitted(
            _("Only a township service center or a community workstation delegates inside its area."), code="kind"
        )
    if worker is not None and not errors and (worker.office_id != target.pk or worker.role not in COMMUNITY_ROLES):
        errors["worker"] = _("%(name)s is not a grid worker of %(office)s.") % {"name": worker, "office": target.name}
    if errors:
        raise ValidationError(errors)
    if assignment.state == Assignment.State.ASSIGNED:  # receiving it to pass it on is signing for it [HD-1]
        ticket = dispatch_services.sign_for(ticket=ticket, by=by, note=_("signed for on delegating"))
    now = timezone.now()
    previous = _active_delegation(ticket)
    if previous is not None:
        previous.state, previous.is_active, previous.ended_at = Delegation.State.WITHDRAWN, False, now
        previous.end_reason = _("delegated again")
        previous.save(update_fields=["state", "is_active", "ended_at", "end_reason"])
    delegation = Delegation.objects.create(
        ticket=ticket,
        assignment=assignment,
        step=ticket.step,
        office=target,
        worker=worker,
        note=note,
        delegated_by=by,
        delegated_at=now,
    )
    workflow.fire(
        ticket,
        "delegate",
        by=by,
        note=note,
        data={
            "office": target.code,
            "office_name": target.name,
            "worker": worker.username if worker else None,
            "worker_name": str(worker) if worker else None,
            "replaces": previous.pk if previous else None,
        },
        at=now,
    )
    return delegation


@transaction.atomic
def accept_delegation(*, ticket: Ticket, by: User, note: str = "") -> Delegation:
    """[HD-1] The community signs for the work delegated to it; whoever accepts a workstation-wide delegation takes it."""
    ticket = lock_ticket(ticket)
    delegation = _delegation_to(ticket, by)
    workflow.check(ticket, "accept_delegation")
    if delegation.state != Delegation.State.ASSIGNED:
        raise RuleViolation(_("This delegation has already been accepted."), code="already_accepted")
    if delegation.worker_id and delegation.worker_id != by.pk and by.role != Role.WORKSTATION_HEAD:
        raise NotPermitted(
            _("This ticket is delegated to %(name)s.") % {"name": delegation.worker}, code="other_worker"
        )
    delegation.state, delegation.accepted_at = Delegation.State.ACCEPTED, timezone.now()
    delegation.worker = delegation.worker or by
    delegation.save(update_fields=["state", "accepted_at", "worker"])
    workflow.fire(ticket, "accept_delegation", by=by, note=note, data={"delegation": delegation.pk})
    return delegation


@transaction.atomic
def hand_back(*, ticket: Ticket, by: User, reason: str, suggested_office: Office | str | None = None) -> Delegation:
    """[AS-3] The community hands delegated work back to the township, saying why (and whom it suggests)."""
    ticket = lock_ticket(ticket)
    delegation = _delegation_to(ticket, by)
    workflow.check(ticket, "hand_back")
    errors = {}
    if len(reason.strip()) < 4:
        errors["reason"] = _("Give the reason for handing the ticket back.")
    try:
        suggested = _office(suggested_office, field_name="suggested_office")
    except ValidationError as e:
        errors.update(e.message_dict)
        suggested = None
    if suggested is not None and suggested.pk == delegation.office_id:
        errors["suggested_office"] = _("Suggest another office than your own.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    delegation.state, delegation.is_active, delegation.ended_at = Delegation.State.HANDED_BACK, False, now
    delegation.end_reason, delegation.suggested_office = reason, suggested
    delegation.save(update_fields=["state", "is_active", "ended_at", "end_reason", "suggested_office"])
    workflow.fire(
        ticket,
        "hand_back",
        by=by,
        note=reason,
        data={"to": delegation.assignment.office.code, "suggested_office": suggested.code if suggested else None},
        at=now,
    )
    return delegation


@transaction.atomic
def withdraw_delegation(*, ticket: Ticket, by: User, note: str = "") -> Delegation:
    """The delegating office takes the work back (a pending draft is dropped with it)."""
    ticket = lock_ticket(ticket)
    delegation = _delegation_from(ticket, by)
    workflow.check(ticket, "withdraw_delegation")
    now = timezone.now()
    delegation.drafts.filter(review=CommunityReply.Review.PENDING).update(
        review=CommunityReply.Review.SENT_BACK, review_note=note or _("delegation withdrawn"), reviewed_at=now
    )
    delegation.state, delegation.is_active, delegation.ended_at = Delegation.State.WITHDRAWN, False, now
    delegation.end_reason = note
    delegation.save(update_fields=["state", "is_active", "ended_at", "end_reason"])
    workflow.fire(ticket, "withdraw_delegation", by=by, note=note, data={"office": delegation.office.code}, at=now)
    return delegation
