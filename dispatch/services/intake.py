"""Intake: a request from any channel becomes a ticket, placed, refused with a referral [IN-4], answered
from the knowledge base [IN-5], routed [AS-1] or queued, idempotently."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dispatch import policy, sla, workflow
from dispatch.exceptions import IdempotencyConflict
from dispatch.models import (
    Assignment,
    Attachment,
    Channel,
    EmergencyTransfer,
    Kind,
    KnowledgeArticle,
    Nature,
    RefusalReason,
    SlaPolicy,
    Status,
    Ticket,
    TicketEvent,
)
from dispatch.routing import CategoryRef, Place, RoutePlan, RoutingTable, locate, routing_table
from dispatch.selectors import best_answer
from dispatch.texts import site_text
from dispatch.workflow import fire
from geo.geocoder import geocode, geocode_many
from grid.models import Office

if TYPE_CHECKING:
    from grid.models import User

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
    transfer_to: str = ""  # for an emergency: the line the call is handed to [CT-2]
    hold_reason: str = ""  # why a person must look at it before it is routed (a flood from one phone …)
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
    transfers: list[EmergencyTransfer] = field(default_factory=list)


# Who refused: a person (the call-taker) decides [IN-4]; a refusal rule's phrase only suggests.
CONFIRMED_TRIGGERS = ("call-taker", "too short", "point outside the city")
EMERGENCY_LINE = re.compile(r"(?<!\d)(110|119|120|122)(?!\d)")


def emergency_line(referral: str, transfer_to: str = "") -> str:
    """[CT-2] The line an emergency is handed to: the one chosen, else the first the referral names
    (110 when it names several: the police line takes any emergency)."""
    if transfer_to:
        return transfer_to
    found = EMERGENCY_LINE.search(referral or "")
    return found.group(1) if found else EmergencyTransfer.Line.POLICE


def suggested_refusal(ticket: Ticket) -> dict | None:
    """The refusal a rule suggested for a queued ticket, waiting for a person to confirm it [IN-4]."""
    return (ticket.extra or {}).get("suggested_refusal")


def refusal_for(data: IntakeData, table: RoutingTable) -> tuple[str, str, str] | None:
    """[IN-4] (reason, referral, what triggered it) if the request is not acceptable, else None."""
    text = f"{data.description}\n{data.address}"
    if data.refuse_reason:
        # the referral of a rule of that reason whose phrase the text holds, else the reason's default
        rule = next(
            (
                r
                for r in table.refusal_rules
                if r.reason == data.refuse_reason and any(k and k in text for k in r.keywords)
            ),
            None,
        )
        referral = rule.referral if rule else site_text(DEFAULT_REFERRALS[RefusalReason(data.refuse_reason)])
        return data.refuse_reason, referral, "call-taker"
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
        return geocode(text)
    except Exception:  # a geocoder bug must never lose a ticket
        logger.exception("geocoding failed for intake address")
        return None


def geocode_addresses(texts: list[str]) -> list:
    """The geocoder's answers for many address texts in one call; None for each when it is missing or fails."""
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


def locate_request(data: IntakeData, table: RoutingTable) -> Location:
    """Place one request: its point if given, else its geocoded address text."""
    geocoded = geocode_address(data.address) if data.lon is None and data.address else None
    loc = location_of(data, geocoded)
    if loc.point is not None and not loc.rough:
        x, y = loc.point.x, loc.point.y
        set_place(loc, locate(table, x, y))
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
    if ticket.nature == Nature.A:  # [IN-3] class A: a focus case, its reply signed off by the unit's leader
        reasons.append("nature_a")
    if plan is not None and len(plan.assignments) > 1:
        reasons.append("multi_unit")
        kinds = {a.office.kind for a in plan.assignments}
        if Office.Kind.DEPARTMENT in kinds and kinds - {Office.Kind.DEPARTMENT}:
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
    # a new round: its contact and its flags are its own [HD-1][SV-1]; the finished round keeps its own
    # on its HandlingRound row (dispatch.rounds)
    ticket.contacted_at = None
    ticket.near_deadline_at = ticket.overdue_at = ticket.reply_overdue_at = None
    ticket.supervision_level = 0


def prepare_ticket(
    data: IntakeData,
    *,
    table: RoutingTable,
    location: Location,
    now: dt.datetime,
    by: User | None = None,
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
    suggestion = None
    if refusal is not None and refusal[2] not in CONFIRMED_TRIGGERS:
        # [IN-4] a refusal rule's phrase is a suggestion: a person confirms it from the manual queue
        # ("上周楼道着火后消防通道一直堵着" names a fire and is no emergency); the referral is kept with it
        reason, referral, keyword = refusal
        suggestion = {"reason": reason, "referral": referral, "keyword": keyword}
        ticket.extra = {**(ticket.extra or {}), "suggested_refusal": suggestion}
        refusal = None
    transfers: list[EmergencyTransfer] = []
    if suggestion is not None:
        ticket.focus_reasons = _focus_reasons(ticket, None, category)
        events.append(
            fire(
                ticket,
                "queue_for_dispatch",
                by=by,
                note=site_text(
                    gettext_noop("A refusal rule suggests not accepting it (%(keyword)s): a person decides"),
                    keyword=suggestion["keyword"],
                ),
                data={"suggested_refusal": suggestion, **data_note},
                at=now,
                commit=False,
            )
        )
    elif refusal is not None:
        ticket.refusal_reason, ticket.referral, trigger = refusal
        if ticket.refusal_reason == RefusalReason.EMERGENCY:  # [CT-2] handed over, the link kept
            transfers.append(
                EmergencyTransfer(
                    ticket=ticket,
                    line=emergency_line(ticket.referral, data.transfer_to),
                    transferred_at=now,
                    transferred_by=by if getattr(by, "pk", None) else None,
                    referral=ticket.referral,
                )
            )
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
        elif plan.routed and not data.hold_reason:
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
            queue_reason = "" if data.hold_reason else plan.queue_reason
            reason = "; ".join(filter(None, [data.hold_reason, queue_reason, location.note]))
            events.append(fire(ticket, "queue_for_dispatch", by=by, note=reason, data=data_note, at=now, commit=False))
    attachments = [Attachment(ticket=ticket, url=u, name=u.rsplit("/", 1)[-1][:200]) for u in data.attachment_urls]
    return Prepared(ticket, assignments, events, attachments, transfers)


def ticket_numbers(received: list[dt.datetime]) -> list[str]:
    """Readable numbers PDS-20261121-000123 from one sequence (one round trip for a whole batch)."""
    prefix = getattr(settings, "DISPATCH_TICKET_PREFIX", "PDS")
    with connection.cursor() as cur:
        cur.execute("SELECT nextval('dispatch_ticket_number_seq') FROM generate_series(1, %s)", [len(received)])
        seqs = [r[0] for r in cur.fetchall()]
    return [f"{prefix}-{timezone.localtime(r):%Y%m%d}-{n:06d}" for r, n in zip(received, seqs)]


def _existing(idempotency_key: str | None, channel: str, external_id: str) -> Ticket | None:
    """The ticket a retry names: by its client's idempotency key first, else by channel and external id.
    One narrow query (ids only) on the usual path where there is none; the whole ticket only for a
    replay (issue 17, item 8: two whole-ticket reads per intake were a tenth of its CPU)."""
    match = Q()
    if idempotency_key:
        match |= Q(idempotency_key=idempotency_key)
    if external_id:
        match |= Q(channel=channel, external_id=external_id)
    if not match:
        return None
    found = list(Ticket.objects.filter(match).values_list("pk", "idempotency_key")[:2])
    if not found:
        return None
    by_key = [pk for pk, key in found if idempotency_key and key == idempotency_key]
    return Ticket.objects.get(pk=(by_key or [found[0][0]])[0])


def _replay(existing: Ticket, fingerprint: str) -> IntakeResult:
    if existing.request_fingerprint and fingerprint and existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict(
            _("This idempotency key or external id was already used for a different request (ticket %(number)s).")
            % {"number": existing.number},
            ticket=existing.number,
        )
    return IntakeResult(existing, created=False)


def scoped_key(idempotency_key: str | None, *, by: User | None = None, client: str = "") -> str | None:
    """An idempotency key belongs to whoever sent it: a user, an Open311 key, a citizen's device.
    Another client's key never replays (or names) someone else's ticket."""
    if not idempotency_key:
        return None
    owner = client or (f"user:{by.pk}" if by is not None and getattr(by, "pk", None) else "anonymous")
    return f"{owner}|{idempotency_key}"


def intake_ticket(
    *,
    data: IntakeData,
    by: User | None = None,
    idempotency_key: str | None = None,
    client: str = "",
) -> IntakeResult:
    """Take one request in: a retry (same idempotency key from the same client, or same channel and
    external id) returns the first ticket, never a second; concurrent retries are settled by the unique
    constraints. A person filing is checked by dispatch.policy.check_intake (their channels, the time
    of receipt, their area)."""
    idempotency_key = scoped_key(idempotency_key, by=by, client=client)
    fingerprint = data.fingerprint()
    existing = _existing(idempotency_key, data.channel, data.external_id)
    if existing is not None:
        return _replay(existing, fingerprint)
    table = routing_table()
    location = locate_request(data, table)  # outside the transaction: geocoding may be slow
    if by is not None:
        policy.check_intake(by, channel=data.channel, received_at=data.received_at, place=location.place)
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
            for transfer in prepared.transfers:
                transfer.ticket = ticket
            EmergencyTransfer.objects.bulk_create(prepared.transfers)
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
