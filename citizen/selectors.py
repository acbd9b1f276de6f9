"""What the citizen's side reads: a caller's own requests and their timeline in plain words [PUB-2],
and the public record of closed, public cases with the text redacted [PUB-1][PUB-3]."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from citizen.models import CitizenReport
from core.redact import redact
from dispatch import policy
from dispatch.models import Assignment, Category, Reply, Satisfaction, Status, Ticket, TicketEvent
from grid.models import Level, Office

# A case enters the public record once the center has accepted the reply [PUB-1].
PUBLIC_STATUSES = (Status.CLOSED, Status.CALLBACK_MANUAL, Status.ARCHIVED)
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
SUMMARY_CHARS = 160
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
AREA_RE = re.compile(r"^\d{6}(\d{3})?$")
# The public map shows a case near, not at, its point: about 100 m (no doorstep on the map).
MAP_DECIMALS = 3
# Counting stops here: past it the pages say "more than 1000" and ask for an area or a month (a count of every
# public case of a big city would scan them all).
COUNT_CAP = 1_000


class BadQuery(ValueError):
    """A filter the public record cannot take; the message says which and how."""


# -- a caller's own requests --------------------------------------------------------------------


def my_requests(phone: str) -> list[Ticket]:
    """[PUB-2] The requests filed from this (verified) phone on any channel, newest first."""
    return list(
        Ticket.objects.filter(caller_phone=phone)
        .select_related("category")
        .only("number", "status", "received_at", "description", "category__name", "resolve_by")
        .order_by("-received_at")[:50]
    )


def find_by_number(number: str) -> Ticket | None:
    return Ticket.objects.filter(number=(number or "").strip().upper()).select_related("category").first()


def unit_words(office: Office) -> str:
    """The unit and the level of the grid it answers for, in plain words (never a person)."""
    level = policy.level_of(office)
    label = Level(level).label if level else Office.Kind(office.kind).label
    return f"{office.name}（{label}）"


@dataclass
class Step:
    at: dt.datetime
    text: str
    detail: str = ""


@dataclass
class Follow:
    """One request as its caller sees it [PUB-2]."""

    ticket: Ticket
    status_words: str
    units: list[str]
    steps: list[Step] = field(default_factory=list)
    reply: Reply | None = None
    reply_text: str = ""
    may_rate: bool = False


def _units_of_step(ticket: Ticket, step: int, assignments: list[Assignment]) -> str:
    names = [unit_words(a.office) for a in assignments if a.step == step and a.role == Assignment.Role.LEAD]
    names += [unit_words(a.office) for a in assignments if a.step == step and a.role == Assignment.Role.CO]
    return "、".join(dict.fromkeys(names)) or _("the unit in charge")


def _local(value: dt.datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _step_for(e: TicketEvent, ticket: Ticket, assignments: list[Assignment]) -> Step | None:
    """One event in plain words; None for what the caller has no use for (internal flags)."""
    a = e.action
    step_no = e.data.get("step") if isinstance(e.data, dict) else None
    if a == "accept_intake":
        return Step(e.at, _("Received and sent to %(units)s.") % {"units": _units_of_step(ticket, 1, assignments)})
    if a == "queue_for_dispatch":
        return Step(e.at, _("Received. A dispatcher at the center will send it to the unit in charge."))
    if a == "refuse_intake":
        return Step(e.at, _("Not accepted."), ticket.referral)
    if a == "answer_from_knowledge_base":
        return Step(e.at, _("Answered at once."), ticket.answer)
    if a in ("dispatch", "approve_return"):
        steps = sorted({x.step for x in assignments if x.assigned_at <= e.at + dt.timedelta(seconds=1)})
        units = _units_of_step(ticket, steps[-1] if steps else ticket.step, assignments)
        return Step(e.at, _("Sent to %(units)s.") % {"units": units})
    if a == "sign_for" and e.to_status == Status.IN_PROGRESS:
        return Step(e.at, _("The unit in charge has taken it up."))
    if a == "contact_caller":
        return Step(e.at, _("The unit in charge got in touch with you."))
    if a == "approve_extension":
        return Step(e.at, _("The deadline was extended."))
    if a == "reply":
        return Step(e.at, _("The unit in charge replied; the center is checking the reply."))
    if a == "send_back":
        return Step(e.at, _("The center asked the unit to complete its reply."))
    if a == "accept_reply":
        return Step(e.at, _("The center accepted the reply."))
    if a in ("sms_callback", "manual_callback"):
        sat = e.data.get("satisfaction", "") if isinstance(e.data, dict) else ""
        label = Satisfaction(sat).label if sat in Satisfaction.values else ""
        return Step(
            e.at,
            _("Your rating: %(rating)s.") % {"rating": label},
            e.note if e.data.get("channel") == "citizen" else "",
        )
    if a == "rework":
        units = _units_of_step(ticket, step_no or ticket.step, assignments)
        return Step(e.at, _("Sent back to %(units)s to be handled again.") % {"units": units})
    if a in ("remind", "phone_supervision", "written_supervision"):
        return Step(e.at, _("The center pressed the unit to finish in time."))
    return None


def accepted_reply(ticket: Ticket) -> Reply | None:
    return (
        Reply.objects.filter(ticket=ticket, role=Assignment.Role.LEAD, review=Reply.Review.ACCEPTED)
        .order_by("-step", "-reviewed_at")
        .first()
    )


def reply_words(r: Reply | None) -> str:
    """The formal reply as the caller reads it: facts and result; never the signer or the handler [PUB-2]."""
    if r is None:
        return ""
    return redact(f"{r.facts}\n{r.result}")


def follow(ticket: Ticket, *, phone: str | None) -> Follow:
    """[PUB-2] The timeline of one request: received, who handles it, deadlines, the accepted reply."""
    assignments = list(ticket.assignments.select_related("office").order_by("step", "-role", "id"))
    events = ticket.events.order_by("at", "id")
    steps = [s for s in (_step_for(e, ticket, assignments) for e in events) if s is not None]
    active = [unit_words(a.office) for a in assignments if a.is_active]
    reply = accepted_reply(ticket) if ticket.status in PUBLIC_STATUSES else None
    return Follow(
        ticket=ticket,
        status_words=str(Status(ticket.status).label),
        units=list(dict.fromkeys(active)),
        steps=steps,
        reply=reply,
        reply_text=reply_words(reply),
        may_rate=policy.caller_may_rate(ticket, phone),
    )


# -- the public record --------------------------------------------------------------------------


@dataclass
class PublicQuery:
    area: str = ""
    month: str = ""
    category: str = ""
    page: int = 1
    size: int = PAGE_SIZE


def parse_query(params) -> PublicQuery:
    """The public record's filters from a query string; BadQuery naming the wrong one."""
    q = PublicQuery(
        area=(params.get("area") or "").strip(),
        month=(params.get("month") or "").strip(),
        category=(params.get("category") or "").strip(),
    )
    if q.area and not AREA_RE.match(q.area):
        raise BadQuery(_("area: give a county (6 digits) or township (9 digits) code."))
    if q.month:
        m = MONTH_RE.match(q.month)
        if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
            raise BadQuery(_("month: give a month as YYYY-MM."))
    if q.category and not re.match(r"^\d{2,4}$", q.category):
        raise BadQuery(_("category: give a category code (2 or 4 digits)."))
    for name in ("page", "size"):
        raw = params.get(name)
        if raw in (None, ""):
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise BadQuery(_("%(name)s: give a whole number.") % {"name": name}) from None
        if value < 1 or (name == "size" and value > MAX_PAGE_SIZE) or (name == "page" and value > 10_000):
            raise BadQuery(_("%(name)s is out of range.") % {"name": name})
        setattr(q, name, value)
    return q


def month_range(month: str) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    year, mon = int(month[:4]), int(month[5:7])
    start = dt.datetime(year, mon, 1, tzinfo=tz)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=tz)
    return start, end


def public_reports(q: PublicQuery):
    """[PUB-1][PUB-3] Closed cases the caller chose to make public, newest first: one indexed query."""
    qs = CitizenReport.objects.filter(ticket__is_public=True, ticket__status__in=PUBLIC_STATUSES)
    if q.area:
        qs = qs.filter(**{"county_code" if len(q.area) == 6 else "township_code": q.area})
    if q.month:
        start, end = month_range(q.month)
        qs = qs.filter(received_at__gte=start, received_at__lt=end)
    if q.category:
        field_name = "ticket__category__code" if len(q.category) == 4 else "ticket__category__parent__code"
        qs = qs.filter(**{field_name: q.category})
    return (
        qs.select_related("ticket", "ticket__category", "ticket__category__parent")
        .only(
            "id",
            "received_at",
            "is_business",
            "ticket__number",
            "ticket__description",
            "ticket__answer",
            "ticket__status",
            "ticket__place_names",
            "ticket__county_code",
            "ticket__township_code",
            "ticket__point",
            "ticket__caller_name",
            "ticket__caller_phone",
            "ticket__closed_at",
            "ticket__satisfaction",
            "ticket__category__name",
            "ticket__category__code",
            "ticket__category__parent__name",
        )
        .order_by("-received_at", "-id")
    )


def public_text(text: str, ticket: Ticket) -> str:
    """A citizen's or a unit's text for the public: the caller's own name and phone out first (a bare
    name, without 先生/女士, is beyond the redactor's patterns), then everything core.redact knows."""
    text = text or ""
    for known, mark in ((ticket.caller_name, "某某"), (ticket.caller_phone, "[电话]")):
        known = (known or "").strip()
        if len(known) >= 2:
            text = text.replace(known, mark)
    return redact(text)


def summarize(text: str, n: int = SUMMARY_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


@dataclass
class PublicCase:
    number: str
    month: str
    category: str
    place: str
    county_code: str
    township_code: str
    request: str
    reply: str
    status: str
    closed_on: str
    satisfaction: str
    lon: float | None
    lat: float | None

    def as_json(self) -> dict:
        return {
            "number": self.number,
            "month": self.month,
            "category": self.category,
            "place": self.place,
            "county_code": self.county_code,
            "township_code": self.township_code,
            "request": self.request,
            "reply": self.reply,
            "status": self.status,
            "closed_on": self.closed_on,
            "satisfaction": self.satisfaction,
            "point": None if self.lon is None else {"type": "Point", "coordinates": [self.lon, self.lat]},
        }


class CappedPaginator(Paginator):
    """Django's paginator with the count stopped at COUNT_CAP + 1 (one index range, never a full scan)."""

    @cached_property
    def count(self) -> int:
        return self.object_list.values("pk")[: COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


def public_cases(q: PublicQuery, *, count: bool = True) -> tuple[list[PublicCase], Paginator | None, int]:
    """One page of the public record with the request and the reply summarised and redacted
    (`count=False`: the first page alone, without counting, for the feeds)."""
    if not count:
        rows = list(public_reports(q)[: q.size])
        return _cases(rows), None, 1
    paginator = CappedPaginator(public_reports(q), q.size, allow_empty_first_page=True)
    page = paginator.get_page(q.page) if q.page <= max(1, paginator.num_pages) else None
    rows = list(page.object_list) if page else []
    return _cases(rows), paginator, (page.number if page else q.page)


def _cases(rows: list[CitizenReport]) -> list[PublicCase]:
    tickets = [r.ticket for r in rows]
    replies = {}
    for r in (
        Reply.objects.filter(ticket__in=tickets, role=Assignment.Role.LEAD, review=Reply.Review.ACCEPTED)
        .only("ticket_id", "facts", "result", "step")
        .order_by("ticket_id", "step")
    ):
        replies[r.ticket_id] = r  # the last step's wins
    cases = []
    for r in rows:
        t = r.ticket
        cat = t.category
        reply = replies.get(t.id)
        reply_text = f"{reply.facts} {reply.result}" if reply else t.answer
        point = t.point
        cases.append(
            PublicCase(
                number=t.number,
                month=f"{timezone.localtime(r.received_at):%Y-%m}",
                category=(f"{cat.parent.name}/{cat.name}" if cat and cat.parent_id else (cat.name if cat else "")),
                place=" / ".join(p.strip() for p in t.place_names.split("/")[:2]) if t.place_names else "",
                county_code=t.county_code,
                township_code=t.township_code,
                request=summarize(public_text(t.description, t)),
                reply=summarize(public_text(reply_text, t)),
                status=str(Status(t.status).label),
                closed_on=f"{timezone.localtime(t.closed_at):%Y-%m-%d}" if t.closed_at else "",
                satisfaction=str(Satisfaction(t.satisfaction).label) if t.satisfaction else "",
                lon=round(point.x, MAP_DECIMALS) if point else None,
                lat=round(point.y, MAP_DECIMALS) if point else None,
            )
        )
    return cases


def business_requests(user, *, page: int = 1):
    """[PUB-4] The requests businesses filed, within what the user's office sees, newest first."""
    visible = policy.tickets_visible_to(user)
    qs = (
        CitizenReport.objects.filter(is_business=True, ticket__in=visible)
        .select_related("ticket", "ticket__category")
        .prefetch_related(
            Prefetch("ticket__assignments", queryset=Assignment.objects.filter(is_active=True).select_related("office"))
        )
        .order_by("-received_at", "-id")
    )
    return Paginator(qs, PAGE_SIZE).get_page(page)


def category_choices() -> list[Category]:
    return list(Category.objects.filter(parent__isnull=True, is_active=True).order_by("sort", "code"))
