"""Reads for the center's desks: each desk's list, scoped by dispatch.policy.desk_filter (the tickets the
user acts on as the center [ORG-1][ORG-2][ORG-3]), and the suggested route of a queued ticket."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import policy, selectors
from dispatch.models import (
    OPEN_STATUSES,
    Assignment,
    ExtensionRequest,
    Reply,
    Status,
    Ticket,
)
from dispatch.routing import routing_table
from grid.models import Office

from .models import Supervision

if TYPE_CHECKING:
    from grid.models import User

PAGE_SIZE = 25


def _list(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.select_related("category__parent", "center").prefetch_related("assignments__office")


def desk_ticket(user: User, number: str) -> Ticket:
    """A ticket of this desk (TicketNotFound otherwise: a 404, as for every ticket out of scope)."""
    return selectors.ticket_for(user, number, queryset=policy.desk_tickets(user))


# -- dispatch desk ---------------------------------------------------------------------------------


def dispatch_queue(user: User) -> QuerySet[Ticket]:
    """[AS-1] The manual queue of this desk, oldest first."""
    return _list(selectors.dispatch_queue(user).filter(policy.desk_filter(user)))


@dataclass
class Suggestion:
    """The route the desk suggests for a queued ticket, and why (empty offices: none to suggest)."""

    why: str
    lead: str = ""  # office code
    lead_name: str = ""
    co: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    reasons: list[str] = field(default_factory=list)


def suggest_route(ticket: Ticket) -> Suggestion:
    """[AS-1] What routing would do with what the ticket has, and why it stopped: the full route when place
    and category route it now (a rule was changed since), else the place's service center for a ticket
    without a category, or the category's department for a ticket without a place."""
    table = routing_table()
    place = table.place(ticket.area_id) if ticket.area_id else None
    category = table.category(ticket.category.code) if ticket.category_id else None
    plan = table.route(place=place, category=category)
    if plan.routed:
        lead, *co = plan.assignments
        return Suggestion(
            why=lead.why,
            lead=lead.office.code,
            lead_name=lead.office.name,
            co=[(a.office.code, a.office.name) for a in co],
            reasons=[a.why for a in plan.assignments],
        )
    reason = plan.queue_reason
    if place is not None and place.township is not None:
        office = table.office_by_area_kind.get((place.township.code, Office.Kind.TOWNSHIP_CENTER))
        if office is not None:
            return Suggestion(
                why=_("%(reason)s; the place is in %(area)s → %(office)s [AS-1]")
                % {"reason": reason, "area": place.township.name, "office": office.name},
                lead=office.code,
                lead_name=office.name,
            )
    if category is not None and category.default_department_id in table.offices:
        office = table.offices[category.default_department_id]
        return Suggestion(
            why=_("%(reason)s; category %(category)s is %(office)s's remit [AS-1]")
            % {"reason": reason, "category": category.path, "office": office.name},
            lead=office.code,
            lead_name=office.name,
        )
    return Suggestion(why=reason or _("nothing to route by: classify and place it"))


def office_choices() -> list[tuple[str, str]]:
    """Offices a desk dispatches to (service centers and departments, then the county dispatch centers)."""
    table = routing_table()
    wanted = (Office.Kind.TOWNSHIP_CENTER, Office.Kind.DEPARTMENT, Office.Kind.COUNTY_DISPATCH, Office.Kind.SUB_CENTER)
    return sorted(((o.code, o.name) for o in table.offices.values() if o.kind in wanted), key=lambda x: x[0])


# -- rulings -----------------------------------------------------------------------------------------


def pending_returns(user: User) -> QuerySet[Ticket]:
    """[AS-3] Tickets with a return request waiting for the desk's ruling, oldest request first."""
    waiting = Assignment.objects.filter(ticket=OuterRef("pk"), is_active=True, state=Assignment.State.RETURN_REQUESTED)
    return _list(
        Ticket.objects.filter(policy.desk_filter(user), status__in=OPEN_STATUSES).filter(Exists(waiting))
    ).order_by("updated_at", "id")


def pending_extensions(user: User) -> QuerySet[ExtensionRequest]:
    """[SLA-3] Extension requests waiting for the desk's ruling, the nearest deadline first."""
    return (
        ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING, ticket__status__in=OPEN_STATUSES)
        .filter(ticket__in=policy.desk_tickets(user))
        .select_related("ticket__category__parent", "assignment__office")
        .order_by("deadline_before", "id")
    )


# -- review desk --------------------------------------------------------------------------------------


def awaiting_review(user: User) -> QuerySet[Ticket]:
    """[HD-3] Replied tickets waiting for the desk's review, the oldest reply first."""
    return _list(Ticket.objects.filter(policy.desk_filter(user), status=Status.REPLIED)).order_by("replied_at", "id")


def pending_reply(ticket: Ticket) -> Reply | None:
    return (
        ticket.replies.filter(step=ticket.step, role="lead", review=Reply.Review.PENDING)
        .select_related("office", "replied_by")
        .order_by("-id")
        .first()
    )


# -- callback desk --------------------------------------------------------------------------------------


def callbacks_due(user: User) -> QuerySet[Ticket]:
    """[CB-1][CB-2] Closed tickets still owed a callback: the manual ones (an SMS said unsatisfied, or none
    came) first, then by due time."""
    return _list(
        Ticket.objects.filter(policy.desk_filter(user), status__in=(Status.CALLBACK_MANUAL, Status.CLOSED))
    ).order_by("callback_due", "id")


# -- supervision desk ----------------------------------------------------------------------------------

SUPERVISION_VIEWS = ("near", "overdue", "repeat", "focus", "written")


def supervision_list(user: User, view: str, *, now: dt.datetime | None = None) -> QuerySet:
    """[SV-1][SV-2][SV-3] near-deadline, overdue, repeated and focus tickets of the desk (open ones), or the
    written notices issued by it (those awaiting an answer first)."""
    now = now or timezone.now()
    if view == "written":
        return (
            Supervision.objects.filter(kind=Supervision.Kind.WRITTEN, ticket__in=policy.desk_tickets(user))
            .select_related("ticket", "to_office")
            .order_by(F("answered_at").desc(nulls_first=True), "answer_due", "-id")
        )
    qs = Ticket.objects.filter(policy.desk_filter(user), status__in=(*OPEN_STATUSES, Status.REPLIED))
    if view == "near":
        qs = qs.filter(near_deadline_at__isnull=False, overdue_at__isnull=True, resolve_by__gte=now)
    elif view == "overdue":
        qs = qs.filter(status__in=OPEN_STATUSES, resolve_by__lt=now)
    elif view == "repeat":
        qs = qs.filter(repeat_of__isnull=False)
    else:
        qs = qs.exclude(focus_reasons=[])
    return _list(qs).order_by("resolve_by", "id")


# -- counts for the desks' tabs ------------------------------------------------------------------------


def desk_counts(user: User) -> dict[str, int]:
    """How many tickets wait at each desk (one query)."""
    from django.db.models import Count

    scope = Ticket.objects.filter(policy.desk_filter(user))
    by_status = dict(
        scope.filter(status__in=(Status.PENDING_DISPATCH, Status.REPLIED, Status.CLOSED, Status.CALLBACK_MANUAL))
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {
        "dispatch": by_status.get(Status.PENDING_DISPATCH, 0),
        "review": by_status.get(Status.REPLIED, 0),
        "callbacks": by_status.get(Status.CLOSED, 0) + by_status.get(Status.CALLBACK_MANUAL, 0),
    }
