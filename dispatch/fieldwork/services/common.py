"""What the fieldwork writers share: whose assignment and delegation a user acts under, and reading an
office or a user from a form's value."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.exceptions import NotPermitted, RuleViolation
from dispatch.fieldwork import workflow
from dispatch.fieldwork.models import Delegation
from dispatch.models import Assignment, Ticket
from dispatch.policy import COMMUNITY_ROLES, DELEGATOR_ROLES
from grid.models import Office, User


def _office_id(user: User) -> int | None:
    return getattr(user, "office_id", None) if user is not None else None


def _own_assignment(ticket: Ticket, user) -> Assignment | None:
    if not _office_id(user):
        return None
    return ticket.assignments.filter(is_active=True, office_id=user.office_id).select_related("office").first()


def _active_delegation(ticket: Ticket) -> Delegation | None:
    # the ticket's row lock (held by every writer here) already serializes changes to its delegations
    return (
        Delegation.objects.select_related("office", "worker", "assignment__office")
        .filter(ticket=ticket, is_active=True)
        .first()
    )


def _delegation_to(ticket: Ticket, user) -> Delegation:
    """The live delegation this community user works under, or NotPermitted."""
    delegation = _active_delegation(ticket)
    if (
        delegation is None
        or delegation.office_id != _office_id(user)
        or getattr(user, "role", None) not in COMMUNITY_ROLES
        or delegation.assignment.office_id == delegation.office_id  # a head's pick: the worker uses the assignment
    ):
        raise NotPermitted(_("Nothing on this ticket is delegated to your workstation."), code="not_delegated")
    return delegation


def _delegation_from(ticket: Ticket, user) -> Delegation:
    """The live delegation this user's office made, or RuleViolation."""
    delegation = _active_delegation(ticket)
    if delegation is None or delegation.assignment.office_id != _office_id(user):
        raise RuleViolation(_("Your office has not delegated this ticket."), code="no_delegation")
    if getattr(user, "role", None) not in DELEGATOR_ROLES:
        raise NotPermitted(_("Only a service-center handler or a workstation head may do this."), code="role")
    return delegation


def _office(value, *, field_name: str) -> Office | None:
    if value in (None, ""):
        return None
    if isinstance(value, Office):
        return value
    office = Office.objects.filter(code=value, is_active=True).first()
    if office is None:
        raise ValidationError({field_name: _("No active office has code %(code)s.") % {"code": value}})
    return office


def _user(value) -> User | None:
    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    found = (
        User.objects.filter(pk=value, is_active=True).select_related("office").first() if str(value).isdigit() else None
    )
    if found is None:
        raise ValidationError({"worker": _("No such active user.")})
    return found


def _accept_in_passing(ticket: Ticket, delegation: Delegation, by: User) -> None:
    """Acting on a delegation not yet accepted accepts it (one event each, in order)."""
    delegation.state, delegation.accepted_at = Delegation.State.ACCEPTED, timezone.now()
    delegation.worker = delegation.worker or by
    delegation.save(update_fields=["state", "accepted_at", "worker"])
    workflow.fire(ticket, "accept_delegation", by=by, data={"delegation": delegation.pk})
