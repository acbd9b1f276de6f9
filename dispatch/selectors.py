"""Reads of tickets, and the one place that decides who may see what.

Scope (issue 'Mobile web' and 'Tickets'): the city command center sees every
ticket; a sub-center or county dispatch center its county's; a township service
center its township's (and so its communities'); a workstation its community's;
each of them also what is assigned to it; a department only its own
assignments. The caller's name and phone [IN-2] are shown only to the office
that must call back: the ticket's center (the city center for the central five,
the county's sub-center for its own); to everyone else they are masked.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from django.contrib.gis.geos import Polygon
from django.db.models import Exists, FloatField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import OPEN_STATUSES, Assignment, Category, KnowledgeArticle, Status, Ticket
from dispatch.policy import can_see_caller, tickets_visible_to  # noqa: F401  (scope for readers)

from .exceptions import TicketNotFound

if TYPE_CHECKING:
    from grid.models import User

# -- scope -------------------------------------------------------------------------


def ticket_for(user: User, number: str, *, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    """The ticket with this number if the user may see it; TicketNotFound otherwise (a denial is a 404)."""
    qs = tickets_visible_to(user) if queryset is None else queryset
    ticket = qs.select_related("category__parent", "center", "sla_policy").filter(number=number).first()
    if ticket is None:
        raise TicketNotFound(_("No ticket %(number)s.") % {"number": number}, code="not_found")
    return ticket


def mask_phone(phone: str) -> str:
    """138****1234: the first three and last four digits of a mobile; landlines keep area code and last 4."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 13 and digits.startswith("861"):  # +86 country code
        digits = digits[2:]
    if not digits:
        return ""
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    head = min(3, len(digits) - 4)
    return f"{digits[:head]}{'*' * (len(digits) - head - 4)}{digits[-4:]}"


def mask_name(name: str) -> str:
    """王芳 → 王*; 欧阳娜娜 → 欧***."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def caller_for(user: User, ticket: Ticket) -> dict[str, str | bool]:
    """The caller as this user may see them [IN-2]; every unmasked showing is audited.

    The one place that hands the caller out (API, workstation pages, admin): never
    read ticket.caller_* for display anywhere else.
    """
    if can_see_caller(user, ticket):
        from .audit import caller_viewed

        caller_viewed(user, ticket)
        return {"name": ticket.caller_name, "phone": ticket.caller_phone, "email": ticket.caller_email, "masked": False}
    return {
        "name": mask_name(ticket.caller_name),
        "phone": mask_phone(ticket.caller_phone),
        "email": "***" if ticket.caller_email else "",
        "masked": True,
    }


# -- lists ---------------------------------------------------------------------------


def filter_tickets(
    qs: QuerySet[Ticket],
    *,
    status: list[str] | None = None,
    office: str = "",
    area: str = "",
    category: str = "",
    urgency: list[str] | None = None,
    channel: str = "",
    overdue: bool | None = None,
    repeat: bool | None = None,
    focus: bool | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    received_from: dt.datetime | None = None,
    received_to: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Ticket]:
    """The list filters of the tickets API; each argument narrows the set."""
    now = now or timezone.now()
    if status:
        qs = qs.filter(status__in=status)
    if office:
        qs = qs.filter(Exists(Assignment.objects.filter(ticket=OuterRef("pk"), office__code=office, is_active=True)))
    if area:
        qs = qs.filter(Q(county_code=area) | Q(township_code=area) | Q(community_code=area))
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if urgency:
        qs = qs.filter(urgency__in=urgency)
    if channel:
        qs = qs.filter(channel=channel)
    if overdue is not None:
        late = Q(status__in=OPEN_STATUSES, resolve_by__lt=now)
        qs = qs.filter(late if overdue else ~late)
    if repeat is not None:
        qs = qs.filter(repeat_of__isnull=not repeat)
    if focus is not None:
        qs = qs.exclude(focus_reasons=[]) if focus else qs.filter(focus_reasons=[])
    if bbox:
        qs = qs.filter(point__within=Polygon.from_bbox(bbox))
    if received_from:
        qs = qs.filter(received_at__gte=received_from)
    if received_to:
        qs = qs.filter(received_at__lt=received_to)
    return qs


def list_for_api(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.select_related("category__parent", "center").prefetch_related("assignments__office")


def detail_for_api(ticket: Ticket) -> Ticket:
    """The ticket with its assignments, replies, extensions, events and attachments loaded."""
    return (
        Ticket.objects.select_related("category__parent", "center", "sla_policy", "repeat_of", "kb_article")
        .prefetch_related(
            "assignments__office",
            "assignments__suggested_office",
            "replies__office",
            "extensions",
            "events__actor",
            "events__actor_office",
            "attachments",
        )
        .get(pk=ticket.pk)
    )


def dispatch_queue(user: User) -> QuerySet[Ticket]:
    """Tickets waiting for a dispatcher to route them by hand, oldest first."""
    return tickets_visible_to(user).filter(status=Status.PENDING_DISPATCH).order_by("received_at", "id")


# -- reference data ------------------------------------------------------------------


def category_tree() -> list[dict]:
    tops = Category.objects.filter(parent__isnull=True, is_active=True).prefetch_related("children")
    return [
        {
            "code": top.code,
            "name": top.name,
            "children": [
                {
                    "code": c.code,
                    "name": c.name,
                    "path": f"{top.name}/{c.name}",
                    "community_can_settle": c.community_can_settle,
                    "lead": c.lead,
                }
                for c in top.children.all()
                if c.is_active
            ],
        }
        for top in tops
    ]


KB_MIN_SCORE = 0.45  # below this a consultation goes to a unit instead of being answered at intake


def search_knowledge(text: str, *, limit: int = 5) -> list[tuple[KnowledgeArticle, float]]:
    """Knowledge-base articles for a text, best first, with a score in 0..1 [IN-5].

    A keyword of the article found in the text scores 1; otherwise the trigram
    word similarity (pg_trgm) of the article's question within the text.
    """
    text = (text or "").strip()[:500]
    if not text:
        return []
    score = RawSQL(
        "GREATEST(CASE WHEN EXISTS (SELECT 1 FROM unnest(dispatch_knowledgearticle.keywords) k "
        "WHERE k <> '' AND strpos(%s, k) > 0) THEN 1.0 ELSE 0.0 END, "
        "word_similarity(dispatch_knowledgearticle.question, %s))",
        [text, text],
        output_field=FloatField(),
    )
    articles = KnowledgeArticle.objects.filter(is_active=True).annotate(score=score).order_by("-score", "id")[:limit]
    return [(a, float(a.score)) for a in articles]


def best_answer(text: str) -> KnowledgeArticle | None:
    found = search_knowledge(text, limit=1)
    return found[0][0] if found and found[0][1] >= KB_MIN_SCORE else None
