"""Reads of fieldwork: a worker's queue, a service center's desk, a ticket's delegation and photos.

Every list starts from dispatch.selectors.tickets_visible_to(user), the one
place that decides who may see what; nothing here widens it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, DateTimeField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from dispatch import selectors as dispatch_selectors
from dispatch.exceptions import TicketNotFound
from dispatch.models import OPEN_STATUSES, RESOLVED_STATUSES, Assignment, Attachment, Category, Status, Ticket
from dispatch.policy import COMMUNITY_ROLES, DELEGATOR_ROLES
from grid.models import Area, Level, Office, Role, User

from .models import CommunityReply, Delegation
from .services import may_add_photos

HANDLING = (Status.DISPATCHED, Status.IN_PROGRESS)


def _mine(office_id: int | None) -> tuple[QuerySet, QuerySet]:
    assignments = Assignment.objects.filter(ticket=OuterRef("pk"), office_id=office_id, is_active=True)
    delegations = Delegation.objects.filter(ticket=OuterRef("pk"), office_id=office_id, is_active=True)
    return assignments, delegations


def with_next_deadline(qs: QuerySet[Ticket], office_id: int | None) -> QuerySet[Ticket]:
    """Annotate next_deadline: the sign-for deadline while the office has not signed, else the resolve deadline."""
    unsigned = Assignment.objects.filter(
        ticket=OuterRef("pk"), office_id=office_id, is_active=True, state=Assignment.State.ASSIGNED
    )
    return qs.annotate(
        next_deadline=Case(
            When(~Q(status__in=OPEN_STATUSES), then=Value(None, output_field=DateTimeField())),
            When(Q(Exists(unsigned)) & Q(sign_by__isnull=False) & Q(sign_by__lt=F("resolve_by")), then=F("sign_by")),
            default=F("resolve_by"),
            output_field=DateTimeField(),
        )
    )


QUEUE_VIEWS = ("todo", "all", "done")


def worker_queue(
    user,
    *,
    view: str = "todo",
    urgency: str = "",
    overdue: bool = False,
    mine: bool = False,
    q: str = "",
    now: dt.datetime | None = None,
) -> QuerySet[Ticket]:
    """A user's queue, nearest deadline first.

    todo: what the user's office holds and has not answered yet, and what is
    delegated to its community (to the user alone with mine=True); done: what it
    has answered; all: every ticket the user may see.
    """
    now = now or timezone.now()
    office_id = getattr(user, "office_id", None)
    qs = dispatch_selectors.tickets_visible_to(user)
    assignments, delegations = _mine(office_id)
    if view == "todo":
        working = Q(Exists(assignments.filter(state__in=[Assignment.State.ASSIGNED, Assignment.State.SIGNED])))
        delegated = delegations.filter(
            state__in=[Delegation.State.ASSIGNED, Delegation.State.ACCEPTED, Delegation.State.SENT_BACK]
        )
        if mine:
            working &= Q(Exists(delegations.filter(worker=user)))
            delegated = delegated.filter(worker=user)
        qs = qs.filter(status__in=HANDLING).filter(working | Q(Exists(delegated)))
    elif view == "done":
        answered = assignments.model.objects.filter(
            ticket=OuterRef("pk"), office_id=office_id, state__in=[Assignment.State.REPLIED, Assignment.State.CLOSED]
        )
        drafted = Delegation.objects.filter(
            ticket=OuterRef("pk"),
            office_id=office_id,
            state__in=[Delegation.State.SUBMITTED, Delegation.State.APPROVED],
        )
        qs = qs.filter(Q(Exists(answered)) | Q(Exists(drafted)) | Q(status__in=RESOLVED_STATUSES, created_by=user))
    if urgency:
        qs = qs.filter(urgency=urgency)
    if overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, resolve_by__lt=now)
    if q := q.strip():
        qs = qs.filter(Q(number__icontains=q) | Q(address__icontains=q) | Q(description__icontains=q))
    qs = with_next_deadline(qs, office_id)
    if view == "done":
        return qs.order_by("-received_at", "-id")
    return qs.order_by(F("next_deadline").asc(nulls_last=True), "received_at", "id")


def for_list(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.select_related("category__parent").prefetch_related(
        "assignments__office",
        Prefetch("delegations", queryset=Delegation.objects.select_related("office", "worker")),
    )


# -- one ticket ---------------------------------------------------------------------


def active_delegation(ticket: Ticket) -> Delegation | None:
    return (
        Delegation.objects.select_related("office", "worker", "assignment__office", "delegated_by")
        .filter(ticket=ticket, is_active=True)
        .first()
    )


@dataclass
class Part:
    """What a user's office has to do with one ticket."""

    assignment: Assignment | None
    delegation: Delegation | None  # the ticket's live delegation, if any
    delegated_to_me: bool  # the user's community works under a township's delegation
    delegated_by_me: bool  # the user's office made the live delegation
    pending_draft: CommunityReply | None

    @property
    def label(self) -> str:
        if self.assignment is not None:
            return self.assignment.role
        return "delegated" if self.delegated_to_me else "view"


def part_of(ticket: Ticket, user) -> Part:
    office_id = getattr(user, "office_id", None)
    assignment = next(
        (a for a in ticket.assignments.all() if a.is_active and office_id and a.office_id == office_id), None
    )
    delegation = active_delegation(ticket)
    to_me = bool(
        delegation
        and office_id
        and delegation.office_id == office_id
        and delegation.assignment.office_id != office_id
        and getattr(user, "role", None) in COMMUNITY_ROLES
    )
    by_me = bool(delegation and office_id and delegation.assignment.office_id == office_id)
    draft = None
    if delegation is not None and (to_me or by_me):
        draft = delegation.drafts.filter(review=CommunityReply.Review.PENDING).first()
    return Part(assignment, delegation, to_me, by_me, draft)


def field_actions(ticket: Ticket, user, part: Part) -> list[str]:
    """The fieldwork actions this user may take on this ticket now."""
    actions = []
    role = getattr(user, "role", None)
    handling = ticket.status in HANDLING
    d = part.delegation
    if part.delegated_to_me and handling:
        if d.state == Delegation.State.ASSIGNED:
            actions.append("accept")
        if d.state in (Delegation.State.ASSIGNED, Delegation.State.ACCEPTED, Delegation.State.SENT_BACK):
            actions += ["contact", "reply", "hand-back"]
    if (
        part.assignment is not None
        and handling
        and role in DELEGATOR_ROLES
        and part.assignment.state in (Assignment.State.ASSIGNED, Assignment.State.SIGNED)
        and part.assignment.office.kind in (Office.Kind.TOWNSHIP_CENTER, Office.Kind.WORKSTATION)
        and (part.assignment.office.kind == Office.Kind.WORKSTATION or ticket.community_code)
    ):
        actions.append("delegate")
    if part.delegated_by_me and role in DELEGATOR_ROLES:
        actions.append("withdraw")
        if part.pending_draft is not None and handling:
            actions += ["approve", "send-back-draft"]
    if ticket.status not in (Status.REFUSED, Status.CLOSED, Status.CALLBACK_MANUAL, Status.ARCHIVED) and (
        may_add_photos(ticket, user)
    ):
        actions.append("photos")
    return actions


def delegation_targets(ticket: Ticket, user) -> list[tuple[Office, list[User]]]:
    """The workstation (and its grid workers) a user's office may delegate this ticket to."""
    office = getattr(user, "office", None)
    if office is None:
        return []
    if office.kind == Office.Kind.WORKSTATION:
        stations = [office]
    elif office.kind == Office.Kind.TOWNSHIP_CENTER and ticket.community_code:
        stations = list(
            Office.objects.filter(
                kind=Office.Kind.WORKSTATION, parent=office, area_code=ticket.community_code, is_active=True
            )
        )
    else:
        return []
    workers = User.objects.filter(office__in=stations, is_active=True, role__in=list(COMMUNITY_ROLES)).order_by(
        "role", "username"
    )
    return [(s, [w for w in workers if w.office_id == s.pk]) for s in stations]


def return_targets(ticket: Ticket, user) -> list[tuple[str, list[Office]]]:
    """Offices a unit might suggest when it returns a ticket [AS-3], grouped for a picker."""
    office = getattr(user, "office", None)
    if office is None:
        return []
    groups: list[tuple[str, list[Office]]] = []
    place = []
    if ticket.township_code:
        place += list(
            Office.objects.filter(area_code=ticket.township_code, kind=Office.Kind.TOWNSHIP_CENTER, is_active=True)
        )
    if ticket.township_code:
        place += list(
            Office.objects.filter(
                kind=Office.Kind.WORKSTATION, parent__area_code=ticket.township_code, is_active=True
            ).order_by("code")
        )
    groups.append(("place", [o for o in place if o.pk != office.pk]))
    groups.append(
        ("department", list(Office.objects.filter(kind=Office.Kind.DEPARTMENT, is_active=True).order_by("name")))
    )
    return [(name, offices) for name, offices in groups if offices]


# -- photos -------------------------------------------------------------------------


def photos_of(ticket: Ticket) -> list[Attachment]:
    return list(ticket.attachments.select_related("photo").order_by("id"))


def attachment_by_path(user: User, path: str) -> tuple[Attachment, bool]:
    """The attachment a media path belongs to (its file or its thumbnail) if the user may see its ticket."""
    attachment = Attachment.objects.select_related("photo").filter(file=path).first()
    thumb = False
    if attachment is None:
        attachment = Attachment.objects.select_related("photo").filter(photo__thumbnail=path).first()
        thumb = attachment is not None
    if attachment is None or not dispatch_selectors.tickets_visible_to(user).filter(pk=attachment.ticket_id).exists():
        raise TicketNotFound("no such file", code="not_found")
    return attachment, thumb


# -- the service-center desk -------------------------------------------------------------

DESK_STATES = ("to_sign", "handling", "delegated", "review", "community", "replied", "overdue")


def desk_tickets(
    user: User, *, community: str = "", state: str = "", now: dt.datetime | None = None
) -> QuerySet[Ticket]:
    """A township's tickets being worked on (and just replied), overdue first, then nearest deadline."""
    now = now or timezone.now()
    office = getattr(user, "office", None)
    qs = dispatch_selectors.tickets_visible_to(user).filter(
        status__in=[*OPEN_STATUSES, Status.REPLIED, Status.PENDING_DISPATCH]
    )
    if office is None:
        return qs.none()
    own = Assignment.objects.filter(ticket=OuterRef("pk"), office_id=office.pk, is_active=True)
    live = Delegation.objects.filter(ticket=OuterRef("pk"), is_active=True, assignment__office_id=office.pk)
    station_lead = Assignment.objects.filter(
        ticket=OuterRef("pk"), is_active=True, role=Assignment.Role.LEAD, office__kind=Office.Kind.WORKSTATION
    )
    qs = qs.annotate(
        is_overdue=Case(
            When(status__in=OPEN_STATUSES, resolve_by__lt=now, then=Value(True)),
            default=Value(False),
        ),
        review_waiting=Exists(live.filter(state=Delegation.State.SUBMITTED)),
    )
    if community:
        qs = qs.filter(community_code=community)
    filters = {
        "to_sign": Q(Exists(own.filter(state=Assignment.State.ASSIGNED)), status__in=OPEN_STATUSES),
        "handling": Q(Exists(own.filter(state=Assignment.State.SIGNED)), status__in=OPEN_STATUSES) & ~Q(Exists(live)),
        "delegated": Q(
            Exists(
                live.filter(
                    state__in=[Delegation.State.ASSIGNED, Delegation.State.ACCEPTED, Delegation.State.SENT_BACK]
                )
            )
        ),
        "review": Q(Exists(live.filter(state=Delegation.State.SUBMITTED))),
        "community": Q(Exists(station_lead), status__in=OPEN_STATUSES),
        "replied": Q(status=Status.REPLIED),
        "overdue": Q(status__in=OPEN_STATUSES, resolve_by__lt=now),
    }
    if state in filters:
        qs = qs.filter(filters[state])
    qs = with_next_deadline(qs, office.pk)
    return qs.order_by(
        F("review_waiting").desc(),
        F("is_overdue").desc(),
        F("next_deadline").asc(nulls_last=True),
        "received_at",
        "id",
    )


def desk_summary(user: User, *, now: dt.datetime | None = None) -> list[dict]:
    """Per community of the user's township: its name and how many tickets are in each desk state."""
    office = getattr(user, "office", None)
    if office is None:
        return []
    now = now or timezone.now()
    communities = {
        a.code: a.name
        for a in Area.objects.current()
        .filter(level=Level.COMMUNITY, parent__code=office.area_code)
        .only("code", "name")
    }
    qs = dispatch_selectors.tickets_visible_to(user).filter(
        status__in=[*OPEN_STATUSES, Status.REPLIED, Status.PENDING_DISPATCH]
    )
    live = Delegation.objects.filter(ticket=OuterRef("pk"), is_active=True, assignment__office_id=office.pk)
    rows = (
        qs.annotate(
            delegated=Exists(live.exclude(state=Delegation.State.SUBMITTED)),
            review=Exists(live.filter(state=Delegation.State.SUBMITTED)),
        )
        .values("community_code")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, resolve_by__lt=now)),
            delegated_n=Count("id", filter=Q(delegated=True)),
            review_n=Count("id", filter=Q(review=True)),
            replied=Count("id", filter=Q(status=Status.REPLIED)),
        )
    )
    by_code = {r["community_code"]: r for r in rows}
    out = []
    for code, name in sorted(communities.items()):
        r = by_code.get(code, {})
        out.append(
            {
                "code": code,
                "name": name,
                "total": r.get("total", 0),
                "open": r.get("open", 0),
                "overdue": r.get("overdue", 0),
                "delegated": r.get("delegated_n", 0),
                "review": r.get("review_n", 0),
                "replied": r.get("replied", 0),
            }
        )
    if "" in by_code:  # tickets placed in the township but in no community
        r = by_code[""]
        out.append(
            {
                "code": "",
                "name": "",
                "total": r["total"],
                "open": r["open"],
                "overdue": r["overdue"],
                "delegated": r["delegated_n"],
                "review": r["review_n"],
                "replied": r["replied"],
            }
        )
    return out


def may_use_desk(user: User) -> bool:
    office = getattr(user, "office", None)
    return bool(
        office is not None
        and office.is_active
        and office.kind == Office.Kind.TOWNSHIP_CENTER
        and getattr(user, "role", None) in (Role.TOWNSHIP_HANDLER, Role.ADMIN)
    )


# -- reference ------------------------------------------------------------------------


def category_picker() -> list[dict]:
    """The leaf categories by top-level group, with the words a search should find and whether a community settles them."""
    tops = (
        Category.objects.filter(parent__isnull=True, is_active=True)
        .prefetch_related("children")
        .order_by("sort", "code")
    )
    return [
        {
            "code": top.code,
            "name": top.name,
            "children": [
                {
                    "code": c.code,
                    "name": c.name,
                    "path": f"{top.name}/{c.name}",
                    "settle": c.community_can_settle,
                    "words": " ".join([top.name, c.name, *c.keywords]),
                }
                for c in top.children.all()
                if c.is_active
            ],
        }
        for top in tops
    ]
