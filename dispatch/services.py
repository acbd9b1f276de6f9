"""Writes to tickets: intake and every step of the handling workflow.

Each workflow function locks the ticket row (SELECT … FOR UPDATE), checks who
may act (workflow.authorize) and whether the state allows it (workflow.fire),
changes what it must, and writes the transition's event, all in one
transaction: two people acting on one ticket at once end in one valid state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.photos import CleanPhoto
from dispatch.models import (
    Assignment,
    Attachment,
    Channel,
    ExtensionRequest,
    Kind,
    KnowledgeArticle,
    OutboundMessage,
    RefusalReason,
    Reply,
    Satisfaction,
    SlaPolicy,
    Status,
    Ticket,
    TicketEvent,
)
from grid.models import Office

from . import sla, workflow
from .exceptions import IdempotencyConflict, NotPermitted, RuleViolation
from .gateways import gateway
from .routing import CategoryRef, Place, RoutePlan, RoutingTable, locate, locate_naive, routing_table
from .selectors import best_answer
from .texts import site_text
from .workflow import SAME, fire

logger = logging.getLogger(__name__)

# Geocoder precisions good enough to place a ticket in a township.
PLACEABLE_PRECISIONS = {"address", "intersection", "place", "road", "community", "township"}
MIN_GEOCODE_CONFIDENCE = 0.3
MIN_MEANINGFUL_CHARS = 4  # [IN-4] shorter than this is too vague to act on
# The referral given when no refusal rule of that reason has its own [IN-4].
DEFAULT_REFERRALS = {
    RefusalReason.EMERGENCY: gettext_noop(
        "In an emergency call 110 (police), 119 (fire, water rescue) or 120 (ambulance) now."
    ),
    RefusalReason.OUTSIDE_JURISDICTION: gettext_noop(
        "This matter is outside Pingdingshan's jurisdiction: please contact the hotline of the place where it happened."
    ),
    RefusalReason.LEGAL_PROCESS: gettext_noop(
        "This matter is in (or must go through) petition, arbitration, administrative review or litigation: "
        "please follow that procedure."
    ),
    RefusalReason.SECRET_PRIVACY: gettext_noop(
        "Matters of state or commercial secrets or of personal privacy are not accepted."
    ),
    RefusalReason.ABUSE_OR_VAGUE: gettext_noop(
        "The request is not specific or is abusive: please tell us the specific time, place and matter and call again."
    ),
}


# ---------------------------------------------------------------------------
# Intake
# ---------------------------------------------------------------------------


@dataclass
class IntakeData:
    """One request as entered: what the call-taker, app or import file gave us."""

    channel: str
    kind: str
    description: str
    urgency: str = "general"
    nature: str = ""
    category: str = ""  # a leaf's code or path (城市管理/下水道堵塞)
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    caller_name: str = ""
    caller_phone: str = ""
    caller_email: str = ""
    external_id: str = ""
    received_at: dt.datetime | None = None
    attachment_urls: list[str] = field(default_factory=list)
    refuse_reason: str = ""  # the call-taker's decision that the request is not acceptable [IN-4]
    extra: dict = field(default_factory=dict)

    def fingerprint(self) -> str:
        payload = dict(vars(self))  # the fields are flat: no need for dataclasses.asdict's deep copy
        payload["received_at"] = self.received_at.isoformat() if self.received_at else None
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass
class Location:
    """Where intake placed a request, and how."""

    point: Point | None = None
    place: Place | None = None
    source: str = ""  # given | geocoded | ""
    precision: str = ""
    confidence: float | None = None
    outside_city: bool = False
    rough: bool = False
    note: str = ""


@dataclass
class IntakeResult:
    """The ticket an intake made (or found, for a retry), with what it made alongside when new."""

    ticket: Ticket
    created: bool
    assignments: list[Assignment] | None = None
    events: list[TicketEvent] | None = None
    attachments: list[Attachment] | None = None

    @property
    def refused(self) -> bool:
        return self.ticket.status == Status.REFUSED


@dataclass
class Prepared:
    """A ticket built in memory with its assignments, events and attachments, ready to insert."""

    ticket: Ticket
    assignments: list[Assignment]
    events: list[TicketEvent]
    attachments: list[Attachment]


def refusal_for(data: IntakeData, table: RoutingTable) -> tuple[str, str, str] | None:
    """[IN-4] (reason, referral, what triggered it) if the request is not acceptable, else None."""
    if data.refuse_reason:
        rule = next((r for r in table.refusal_rules if r.reason == data.refuse_reason), None)
        referral = rule.referral if rule else site_text(DEFAULT_REFERRALS[RefusalReason(data.refuse_reason)])
        return data.refuse_reason, referral, "call-taker"
    text = f"{data.description}\n{data.address}"
    for rule in table.refusal_rules:
        for keyword in rule.keywords:
            if keyword and keyword in text:
                return rule.reason, rule.referral, keyword
    meaningful = re.sub(r"[\W_]+", "", data.description)
    if len(meaningful) < MIN_MEANINGFUL_CHARS:
        return RefusalReason.ABUSE_OR_VAGUE, site_text(DEFAULT_REFERRALS[RefusalReason.ABUSE_OR_VAGUE]), "too short"
    return None


def geocode_address(text: str):
    """The geocoder's answer for an address text, or None when it is missing or fails (never raises)."""
    try:
        from geo.geocoder import geocode
    except ImportError:  # the geocoder is not installed: the ticket waits for a dispatcher
        return None
    try:
        return geocode(text)
    except Exception:  # a geocoder bug must never lose a ticket
        logger.exception("geocoding failed for intake address")
        return None


def geocode_addresses(texts: list[str]) -> list:
    """The geocoder's answers for many address texts in one call; None for each when it is missing or fails."""
    try:
        from geo.geocoder import geocode_many
    except ImportError:
        return [None] * len(texts)
    try:
        return geocode_many(texts)
    except Exception:  # a geocoder bug leaves the rows for manual dispatch, never loses them
        logger.exception("bulk geocoding failed")
        return [None] * len(texts)


def location_of(data: IntakeData, geocoded=None) -> Location:
    """The point of a request: given, or its address geocoded (`geocoded` is the geocoder's answer).

    A point the geocoder found only roughly (a county, a low confidence) is kept
    but marked rough: it is not used to route.
    """
    loc = Location()
    if data.lon is not None and data.lat is not None:
        loc.point, loc.source = Point(data.lon, data.lat, srid=4326), "given"
    elif data.address:
        if geocoded is None or geocoded.point is None:
            loc.note = "address not found by the geocoder"
            return loc
        loc.point = Point(geocoded.point[0], geocoded.point[1], srid=4326)
        loc.source, loc.precision, loc.confidence = "geocoded", geocoded.precision or "", geocoded.confidence
        if geocoded.precision not in PLACEABLE_PRECISIONS or (geocoded.confidence or 0) < MIN_GEOCODE_CONFIDENCE:
            loc.rough = True
            loc.note = f"geocoded only to {geocoded.precision} (confidence {geocoded.confidence or 0:.2f})"
    return loc


def set_place(loc: Location, place: Place | None) -> None:
    loc.place = place
    if place is None:
        loc.outside_city = loc.source == "given"  # a geocoder's guess outside the city is not a refusal
        loc.note = "point outside the city"


def locate_request(data: IntakeData, table: RoutingTable, *, naive: bool = False) -> Location:
    """Place one request: its point if given, else its geocoded address text."""
    geocoded = geocode_address(data.address) if data.lon is None and data.address else None
    loc = location_of(data, geocoded)
    if loc.point is not None and not loc.rough:
        x, y = loc.point.x, loc.point.y
        set_place(loc, locate_naive(x, y) if naive else locate(table, x, y))
    return loc


def _focus_reasons(ticket: Ticket, plan: RoutePlan | None, category: CategoryRef | None) -> list[str]:
    """[SV-3] why the center should watch this ticket closely."""
    reasons = []
    if ticket.channel in (Channel.MEDIA,):
        reasons.append("media")
    if ticket.channel in (Channel.LEADERS_BOARD, Channel.NATIONAL_PLATFORM):
        reasons.append("leader_assigned")
    if category is not None and category.major_livelihood:
        reasons.append("livelihood")
    if plan is not None and len(plan.assignments) > 1:
        reasons.append("multi_unit")
        kinds = {a.office.kind for a in plan.assignments}
        if "department" in kinds and kinds - {"department"}:
            reasons.append("cross_level")
    return reasons


def apply_plan(
    ticket: Ticket,
    plan: RoutePlan,
    *,
    start: dt.datetime,
    policy: SlaPolicy | None,
    step: int,
) -> list[Assignment]:
    """Assignments for a route plan and the deadlines they run under (nothing saved)."""
    assignments = [
        Assignment(
            ticket=ticket,
            office_id=a.office.id,
            role=a.role,
            step=step,
            why=a.why,
            dispatched_by_id=plan.center.id if plan.center else None,
            assigned_at=start,
        )
        for a in plan.assignments
    ]
    start_clock(ticket, policy=policy, start=start)
    return assignments


def start_clock(ticket: Ticket, *, policy: SlaPolicy | None, start: dt.datetime, resolve_by: dt.datetime | None = None):
    """Set the deadlines of a new handling round [SLA-1] and clear the old round's flags."""
    ticket.sla_policy = policy
    ticket.clock_started_at = start
    if policy is not None:
        d = sla.deadlines_for(policy, start=start)
        ticket.sign_by, ticket.reply_by, ticket.resolve_by = d.sign_by, d.reply_by, d.resolve_by
    if resolve_by is not None:
        ticket.resolve_by = resolve_by
        ticket.reply_by = min(ticket.reply_by, resolve_by) if ticket.reply_by else resolve_by
    ticket.near_deadline_at = ticket.overdue_at = None
    ticket.supervision_level = 0


def prepare_ticket(
    data: IntakeData,
    *,
    table: RoutingTable,
    location: Location,
    now: dt.datetime,
    by=None,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    answer_with: Callable[[str], KnowledgeArticle | None] | None = best_answer,
) -> Prepared:
    """Build a ticket from a request: refuse it [IN-4], answer it [IN-5], route it [AS-1] or queue it.

    `answer_with` finds a knowledge-base answer for a consultation (None: do not look).
    """
    category = table.category(data.category) if data.category else None
    received_at = data.received_at or now
    place = location.place
    ticket = Ticket(
        channel=data.channel,
        kind=data.kind,
        nature=data.nature,
        urgency=data.urgency,
        category_id=category.id if category else None,
        description=data.description,
        address=data.address,
        point=location.point,
        location_source=location.source,
        geocode_precision=location.precision,
        geocode_confidence=location.confidence,
        area_id=place.area_id if place else None,
        place_names=place.names if place else "",
        is_central=place.is_central if place else False,
        caller_name=data.caller_name,
        caller_phone=data.caller_phone,
        caller_email=data.caller_email,
        external_id=data.external_id,
        idempotency_key=idempotency_key or None,
        request_fingerprint=fingerprint,
        received_at=received_at,
        extra=data.extra,
        created_by=by if getattr(by, "pk", None) else None,
        status=workflow.NEW,
    )
    if place:
        for key, value in place.codes.items():
            setattr(ticket, key, value)
    plan = table.route(place=place, category=category)
    ticket.center_id = plan.center.id if plan.center else None
    events: list[TicketEvent] = []
    assignments: list[Assignment] = []
    actor_office = None
    data_note = {"location": location.note} if location.note else {}

    refusal = refusal_for(data, table)
    if refusal is None and location.outside_city:
        refusal = (
            RefusalReason.OUTSIDE_JURISDICTION,
            site_text(DEFAULT_REFERRALS[RefusalReason.OUTSIDE_JURISDICTION]),
            "point outside the city",
        )
    if refusal is not None:
        ticket.refusal_reason, ticket.referral, trigger = refusal
        events.append(
            fire(
                ticket,
                "refuse_intake",
                by=by,
                office=actor_office,
                note=ticket.referral,
                data={"trigger": trigger},
                at=now,
                commit=False,
            )
        )
    else:
        article = answer_with(data.description) if answer_with and data.kind == Kind.CONSULTATION else None
        if article is not None:
            ticket.kb_article = article
            ticket.answer = article.answer
            ticket.archived_at = now
            events.append(
                fire(
                    ticket,
                    "answer_from_knowledge_base",
                    by=by,
                    note=article.question,
                    data={"article": article.id},
                    at=now,
                    commit=False,
                )
            )
        elif plan.routed:
            policy = sla.policy_for(data.urgency, data.kind, table.sla_policies)
            assignments = apply_plan(ticket, plan, start=received_at, policy=policy, step=1)
            ticket.focus_reasons = _focus_reasons(ticket, plan, category)
            events.append(
                fire(
                    ticket,
                    "accept_intake",
                    by=by,
                    note="; ".join(a.why for a in plan.assignments),
                    data={
                        "center": plan.center.code if plan.center else None,
                        "assignments": [
                            {"office": a.office.code, "role": a.role, "why": a.why} for a in plan.assignments
                        ],
                        **data_note,
                    },
                    at=now,
                    commit=False,
                )
            )
        else:
            ticket.focus_reasons = _focus_reasons(ticket, None, category)
            reason = "; ".join(filter(None, [plan.queue_reason, location.note]))
            events.append(fire(ticket, "queue_for_dispatch", by=by, note=reason, data=data_note, at=now, commit=False))
    attachments = [Attachment(ticket=ticket, url=u, name=u.rsplit("/", 1)[-1][:200]) for u in data.attachment_urls]
    return Prepared(ticket, assignments, events, attachments)


def ticket_numbers(received: list[dt.datetime]) -> list[str]:
    """Readable numbers PDS-20261121-000123 from one sequence (one round trip for a whole batch)."""
    prefix = getattr(settings, "DISPATCH_TICKET_PREFIX", "PDS")
    with connection.cursor() as cur:
        cur.execute("SELECT nextval('dispatch_ticket_number_seq') FROM generate_series(1, %s)", [len(received)])
        seqs = [r[0] for r in cur.fetchall()]
    return [f"{prefix}-{timezone.localtime(r):%Y%m%d}-{n:06d}" for r, n in zip(received, seqs)]


def _existing(idempotency_key: str | None, channel: str, external_id: str) -> Ticket | None:
    if idempotency_key:
        found = Ticket.objects.filter(idempotency_key=idempotency_key).first()
        if found:
            return found
    if external_id:
        return Ticket.objects.filter(channel=channel, external_id=external_id).first()
    return None


def _replay(existing: Ticket, fingerprint: str) -> IntakeResult:
    if existing.request_fingerprint and fingerprint and existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict(
            _("This idempotency key or external id was already used for a different request (ticket %(number)s).")
            % {"number": existing.number},
            ticket=existing.number,
        )
    return IntakeResult(existing, created=False)


def intake_ticket(
    *, data: IntakeData, by=None, idempotency_key: str | None = None, naive: bool = False
) -> IntakeResult:
    """Take one request in: a retry (same idempotency key, or same channel and external id) returns the
    first ticket, never a second; concurrent retries are settled by the unique constraints."""
    fingerprint = data.fingerprint()
    existing = _existing(idempotency_key, data.channel, data.external_id)
    if existing is not None:
        return _replay(existing, fingerprint)
    table = routing_table()
    location = locate_request(data, table, naive=naive)  # outside the transaction: geocoding may be slow
    now = timezone.now()
    prepared = prepare_ticket(
        data, table=table, location=location, now=now, by=by, idempotency_key=idempotency_key, fingerprint=fingerprint
    )
    try:
        with transaction.atomic():
            ticket = prepared.ticket
            ticket.number = ticket_numbers([ticket.received_at])[0]
            ticket.save(force_insert=True)
            for obj in (*prepared.assignments, *prepared.events, *prepared.attachments):
                obj.ticket = ticket
            Assignment.objects.bulk_create(prepared.assignments)
            TicketEvent.objects.bulk_create(prepared.events)
            Attachment.objects.bulk_create(prepared.attachments)
            if ticket.kb_article_id:
                KnowledgeArticle.objects.filter(pk=ticket.kb_article_id).update(uses=F("uses") + 1)
    except IntegrityError:
        existing = _existing(idempotency_key, data.channel, data.external_id)
        if existing is None:
            raise
        return _replay(existing, fingerprint)
    return IntakeResult(
        ticket, created=True, assignments=prepared.assignments, events=prepared.events, attachments=prepared.attachments
    )


# ---------------------------------------------------------------------------
# The workflow
# ---------------------------------------------------------------------------


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).select_related("center", "sla_policy").get(pk=ticket.pk)


def _office(code_or_office, *, field: str = "office") -> Office:
    if isinstance(code_or_office, Office):
        return code_or_office
    office = Office.objects.filter(code=code_or_office, is_active=True).first()
    if office is None:
        raise ValidationError({field: _("No active office has code %(code)s.") % {"code": code_or_office}})
    return office


@transaction.atomic
def dispatch_manually(
    *, ticket: Ticket, by, lead: Office | str, co_handlers: list[Office | str] = (), category: str = "", note: str = ""
) -> Ticket:
    """[AS-1] A dispatcher routes a queued ticket by hand (and may classify it on the way)."""
    ticket = _locked(ticket)
    workflow.authorize(ticket, "dispatch", by)
    workflow.check(ticket, "dispatch")
    lead = _office(lead, field="lead")
    co = [_office(c, field="co_handlers") for c in co_handlers]
    if any(c.pk == lead.pk for c in co) or len({c.pk for c in co}) != len(co):
        raise ValidationError({"co_handlers": _("An office may appear only once among lead and co-handlers.")})
    if category:
        ref = routing_table().category(category)
        if ref is None:
            raise ValidationError({"category": _("Unknown category %(category)s.") % {"category": category}})
        ticket.category_id = ref.id
    now = timezone.now()
    who = getattr(by, "display_name", "") or str(by)
    for office, role in [(lead, Assignment.Role.LEAD), *[(c, Assignment.Role.CO) for c in co]]:
        Assignment.objects.create(
            ticket=ticket,
            office=office,
            role=role,
            step=ticket.step,
            why=site_text(gettext_noop("manual dispatch by %(who)s: %(note)s"), who=who, note=note or "—"),
            dispatched_by=by.office,
            assigned_at=now,
        )
    start_clock(ticket, policy=sla.policy_for(ticket.urgency, ticket.kind, routing_table().sla_policies), start=now)
    if co and "multi_unit" not in ticket.focus_reasons:
        ticket.focus_reasons = [*ticket.focus_reasons, "multi_unit"]
    fire(ticket, "dispatch", by=by, note=note, data={"lead": lead.code, "co": [c.code for c in co]})
    ticket.save()
    return ticket


@transaction.atomic
def sign_for(*, ticket: Ticket, by, note: str = "") -> Ticket:
    """[HD-1] A unit signs for its assignment; the lead's signature starts the handling."""
    ticket = _locked(ticket)
    assignment = workflow.authorize(ticket, "sign_for", by)
    if assignment.state != Assignment.State.ASSIGNED:
        raise RuleViolation(_("Your office has already signed for this ticket."), code="already_signed")
    now = timezone.now()
    lead = assignment.role == Assignment.Role.LEAD
    fire(ticket, "sign_for", to=Status.IN_PROGRESS if lead else SAME, by=by, note=note, data={"role": assignment.role})
    assignment.state, assignment.signed_at, assignment.signed_by = Assignment.State.SIGNED, now, by
    assignment.save(update_fields=["state", "signed_at", "signed_by"])
    if lead:
        ticket.signed_at = now
    ticket.save()
    return ticket


def _signed(assignment: Assignment) -> None:
    if assignment.state == Assignment.State.ASSIGNED:
        raise RuleViolation(_("Sign for the ticket first."), code="not_signed")


@transaction.atomic
def contact_caller(*, ticket: Ticket, by, note: str) -> Ticket:
    """[HD-1] Record the unit's contact with the caller: the first reply the clock asks for."""
    ticket = _locked(ticket)
    assignment = workflow.authorize(ticket, "contact_caller", by)
    workflow.check(ticket, "contact_caller")
    _signed(assignment)
    if not note.strip():
        raise ValidationError({"note": _("Say how and what was agreed with the caller.")})
    fire(ticket, "contact_caller", by=by, note=note)
    ticket.contacted_at = ticket.contacted_at or timezone.now()
    ticket.save()
    return ticket


@transaction.atomic
def request_return(*, ticket: Ticket, by, reason: str, suggested_office: Office | str) -> Ticket:
    """[AS-3] A unit returns a ticket outside its remit within the return window, saying why and to whom."""
    ticket = _locked(ticket)
    assignment = workflow.authorize(ticket, "request_return", by)
    workflow.check(ticket, "request_return", to=Status.RETURN_REQUESTED if assignment.role == "lead" else SAME)
    if assignment.state not in (Assignment.State.ASSIGNED, Assignment.State.SIGNED):
        raise RuleViolation(_("This assignment cannot be returned now."), code="not_returnable")
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
    *, ticket: Ticket, by, office: Office | str | None = None, assignment_id: int | None = None, note: str = ""
) -> Ticket:
    """[AS-3] The center agrees to a return and re-dispatches to the suggested (or another) office."""
    ticket = _locked(ticket)
    workflow.authorize(ticket, "approve_return", by)
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
def refuse_return(*, ticket: Ticket, by, note: str, assignment_id: int | None = None) -> Ticket:
    """[AS-3] The center refuses a return: the unit keeps the ticket."""
    ticket = _locked(ticket)
    workflow.authorize(ticket, "refuse_return", by)
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
def request_extension(*, ticket: Ticket, by, days: int, reason: str, signed_off_by: str) -> ExtensionRequest:
    """[SLA-3] One request per step, before the deadline, at most 6 days, signed off by the unit head."""
    ticket = _locked(ticket)
    assignment = workflow.authorize(ticket, "request_extension", by)
    workflow.check(ticket, "request_extension")
    _signed(assignment)
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
def approve_extension(*, ticket: Ticket, by, note: str = "") -> Ticket:
    """[SLA-3] The center approves: the resolve deadline moves by the days asked."""
    ticket = _locked(ticket)
    workflow.authorize(ticket, "approve_extension", by)
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
def refuse_extension(*, ticket: Ticket, by, note: str) -> Ticket:
    ticket = _locked(ticket)
    workflow.authorize(ticket, "refuse_extension", by)
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


REPLY_FIELDS = ("facts", "result", "basis", "signer", "handler_name")
MIN_FACTS_AND_RESULT = 30  # [HD-2] a one-line reply is refused


def validate_reply(fields: dict[str, str]) -> dict[str, str]:
    """[HD-2] facts, result and basis, signer and handler, and more than one line's worth of substance."""
    cleaned = {k: (fields.get(k) or "").strip() for k in REPLY_FIELDS}
    errors = {k: _("This field is required in a reply [HD-2].") for k, v in cleaned.items() if not v}
    if not errors:
        if len(cleaned["facts"]) + len(cleaned["result"]) < MIN_FACTS_AND_RESULT:
            errors["result"] = _(
                "A one-line reply is refused: state the facts found and the result, with at least %(n)s characters between them."
            ) % {"n": MIN_FACTS_AND_RESULT}
        elif len(cleaned["basis"]) < 4:
            errors["basis"] = _("State the basis (law, policy or finding) of the result.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def combined_reply(replies: list[Reply]) -> str:
    """The lead's reply and the co-handlers' after it, as one text [AS-2] (each reply's office loaded)."""
    return "\n\n".join(
        site_text(
            gettext_noop(
                "[%(office)s] %(facts)s\n%(result)s\nBasis: %(basis)s\nSigned off by %(signer)s; handled by %(handler)s; %(time)s"
            ),
            office=r.office.name,
            facts=r.facts,
            result=r.result,
            basis=r.basis,
            signer=r.signer,
            handler=r.handler_name,
            time=f"{timezone.localtime(r.replied_at):%Y-%m-%d %H:%M}",
        )
        for r in replies
    )


@transaction.atomic
def reply(*, ticket: Ticket, by, **fields: str) -> Reply:
    """[HD-2] The lead's formal reply, combined with the co-handlers' [AS-2]; it goes to review [HD-3]."""
    ticket = _locked(ticket)
    assignment = workflow.authorize(ticket, "co_reply" if _is_co(ticket, by) else "reply", by)
    co = assignment.role == Assignment.Role.CO
    workflow.check(ticket, "co_reply" if co else "reply")
    _signed(assignment)
    cleaned = validate_reply(fields)
    if assignment.state == Assignment.State.REPLIED and co:
        raise RuleViolation(_("Your office has already replied on this ticket."), code="already_replied")
    if not co:
        waiting = ticket.assignments.filter(is_active=True, role="co").exclude(state=Assignment.State.REPLIED)
        names = [a.office.name for a in waiting.select_related("office")]
        if names:
            raise RuleViolation(
                _("Co-handlers have not replied yet: %(offices)s.") % {"offices": "、".join(names)},
                code="co_handlers_pending",
            )
    now = timezone.now()
    answer = Reply.objects.create(
        ticket=ticket,
        assignment=assignment,
        office=assignment.office,
        role=assignment.role,
        step=ticket.step,
        replied_at=now,
        replied_by=by,
        review="" if co else Reply.Review.PENDING,
        **cleaned,
    )
    assignment.state, assignment.replied_at = Assignment.State.REPLIED, now
    assignment.save(update_fields=["state", "replied_at"])
    fire(ticket, "co_reply" if co else "reply", by=by, note=cleaned["result"][:200], data={"reply": answer.pk})
    if not co:
        ticket.replied_at = now
        co_replies = ticket.replies.filter(step=ticket.step, role="co").select_related("office")
        ticket.reply_text = combined_reply([answer, *co_replies])
    ticket.contacted_at = ticket.contacted_at or now
    ticket.save()
    return answer


def _is_co(ticket: Ticket, user) -> bool:
    return ticket.assignments.filter(
        is_active=True, role=Assignment.Role.CO, office_id=getattr(user, "office_id", None)
    ).exists()


def _pending_reply(ticket: Ticket) -> Reply:
    found = ticket.replies.filter(step=ticket.step, role="lead", review=Reply.Review.PENDING).order_by("-id").first()
    if found is None:
        raise RuleViolation(_("No reply awaits review."), code="no_reply_pending")
    return found


@transaction.atomic
def accept_reply(*, ticket: Ticket, by, note: str = "") -> Ticket:
    """[HD-3] The center accepts the reply and closes the ticket; [CB-1][CB-2] the callback SMS goes out."""
    ticket = _locked(ticket)
    workflow.authorize(ticket, "accept_reply", by)
    workflow.check(ticket, "accept_reply")
    now = timezone.now()
    answer = _pending_reply(ticket)
    answer.review, answer.review_note, answer.reviewed_at = Reply.Review.ACCEPTED, note, now
    answer.save(update_fields=["review", "review_note", "reviewed_at"])
    ticket.assignments.filter(is_active=True).update(state=Assignment.State.CLOSED)
    ticket.closed_at = now
    ticket.callback_due = sla.callback_deadline(ticket.sla_policy, closed_at=now)
    fire(ticket, "accept_reply", by=by, note=note, data={"callback_due": ticket.callback_due.isoformat()})
    if ticket.caller_phone:
        gateway().send(
            medium=OutboundMessage.Medium.SMS,
            purpose="callback",
            ticket=ticket,
            to_number=ticket.caller_phone,
            text=callback_sms_text(ticket),
        )
        ticket.callback_sms_at = now
    ticket.save()
    return ticket


def callback_sms_text(ticket: Ticket) -> str:
    return site_text(
        gettext_noop(
            "[Pingdingshan 12345] Your request (ticket %(number)s) has been dealt with. Please reply with a number: "
            "1 satisfied, 2 basically satisfied, 3 unsatisfied. Thank you!"
        ),
        number=ticket.number,
    )


@transaction.atomic
def send_back(*, ticket: Ticket, by, note: str) -> Ticket:
    """[HD-3] An incomplete reply goes back, to be completed within the deadline (which does not move)."""
    ticket = _locked(ticket)
    workflow.authorize(ticket, "send_back", by)
    workflow.check(ticket, "send_back")
    if not note.strip():
        raise ValidationError({"note": _("Say what the reply lacks.")})
    answer = _pending_reply(ticket)
    answer.review, answer.review_note, answer.reviewed_at = Reply.Review.SENT_BACK, note, timezone.now()
    answer.save(update_fields=["review", "review_note", "reviewed_at"])
    ticket.assignments.filter(is_active=True, role="lead").update(state=Assignment.State.SIGNED)
    fire(ticket, "send_back", by=by, note=note)
    if "perfunctory" not in ticket.focus_reasons:
        ticket.focus_reasons = [*ticket.focus_reasons, "perfunctory"]
    ticket.save()
    return ticket


@transaction.atomic
def record_callback(*, ticket: Ticket, by, channel: str, satisfaction: str, note: str = "") -> Ticket:
    """[CB-1][CB-2] The caller's satisfaction, by SMS first, then by a person.

    SMS unsatisfied → a manual callback (a call task through the gateway);
    unsatisfied at the manual callback → rework by the lead within 5 working days [SLA-4].
    """
    ticket = _locked(ticket)
    name = "sms_callback" if channel == "sms" else "manual_callback"
    workflow.authorize(ticket, name, by)
    workflow.check(ticket, name, to=Status.ARCHIVED)
    now = timezone.now()
    satisfied = satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASIC)
    to = Status.ARCHIVED if satisfied else Status.CALLBACK_MANUAL
    fire(ticket, name, to=to, by=by, note=note, data={"satisfaction": satisfaction})
    ticket.satisfaction, ticket.callback_channel, ticket.callback_at = satisfaction, channel, now
    if satisfied:
        ticket.archived_at = now
    elif channel == "sms":
        gateway().send(
            medium=OutboundMessage.Medium.CALL,
            purpose="manual_callback",
            ticket=ticket,
            to_number=ticket.caller_phone,
            text=manual_callback_text(ticket),
        )
    else:
        _rework(ticket, by=by, now=now)
    ticket.save()
    return ticket


def manual_callback_text(ticket: Ticket) -> str:
    return site_text(
        gettext_noop("Ticket %(number)s: unsatisfied by SMS. Call the caller back and record the satisfaction."),
        number=ticket.number,
    )


def _rework(ticket: Ticket, *, by, now: dt.datetime) -> None:
    """[SLA-4] The lead (and co-handlers) verify and rework, in a new step due in 5 working days."""
    previous = list(ticket.assignments.filter(is_active=True).select_related("office"))
    ticket.assignments.filter(is_active=True).update(is_active=False)
    ticket.step += 1
    deadline = sla.rework_deadline(ticket.sla_policy, start=now)
    start_clock(ticket, policy=ticket.sla_policy, start=now, resolve_by=deadline)
    ticket.signed_at = ticket.replied_at = ticket.closed_at = ticket.callback_due = None
    Assignment.objects.bulk_create(
        Assignment(
            ticket=ticket,
            office=a.office,
            role=a.role,
            step=ticket.step,
            why=site_text(gettext_noop("rework after an unsatisfied callback, due within 5 working days [SLA-4]")),
            dispatched_by=ticket.center,
            assigned_at=now,
        )
        for a in previous
    )
    if "dissatisfied" not in ticket.focus_reasons:
        ticket.focus_reasons = [*ticket.focus_reasons, "dissatisfied"]
    fire(ticket, "rework", by=by, data={"resolve_by": deadline.isoformat(), "step": ticket.step})


@transaction.atomic
def add_attachment(*, ticket: Ticket, by, upload) -> Attachment:
    """A file for a ticket, stored as given: callers pass what they have checked (see add_photo);
    not by a view-only role."""
    if getattr(by, "role", None) not in workflow.HANDLER_ROLES:
        raise NotPermitted(_("Your role may only view tickets."), code="view_only")
    ticket = _locked(ticket)
    return Attachment.objects.create(
        ticket=ticket,
        file=upload,
        name=upload.name[:200],
        content_type=getattr(upload, "content_type", "")[:60],
        size=upload.size,
        uploaded_by=by,
    )


@transaction.atomic
def add_photo(*, ticket: Ticket, by, photo: CleanPhoto) -> Attachment:
    """A photo checked and re-encoded by core.photos.clean_photo (no EXIF, no trailing bytes),
    stored under a random name and shown under the name the user gave it."""
    upload = ContentFile(photo.data, name=photo.stored_name)
    upload.content_type = photo.content_type
    attachment = add_attachment(ticket=ticket, by=by, upload=upload)
    attachment.name = photo.name
    attachment.save(update_fields=["name"])
    return attachment
