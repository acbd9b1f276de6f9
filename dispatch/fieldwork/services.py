"""Writes of fieldwork: delegation inside a township, community draft replies, photos, patrol reports.

Like dispatch.services, every function takes keyword-only arguments, locks the
ticket row (SELECT … FOR UPDATE), checks who may act, and writes its event in
the same transaction. Status changes are always dispatch.services' (sign_for,
contact_caller, reply …): fieldwork calls them, it never sets a status itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.photos import CleanPhoto
from dispatch import services as dispatch_services
from dispatch.exceptions import NotPermitted, RuleViolation
from dispatch.models import Assignment, Attachment, Channel, Kind, Reply, Status, Ticket, Urgency
from dispatch.policy import COMMUNITY_ROLES, DELEGATOR_ROLES, PATROL_ROLES
from dispatch.routing import routing_table
from dispatch.services.common import lock_ticket
from grid.models import Office, Role, User

from . import workflow
from .models import CommunityReply, Delegation, Photo


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


# ---------------------------------------------------------------------------
# Delegation
# ---------------------------------------------------------------------------


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
def record_contact(*, ticket: Ticket, by: User, note: str) -> Ticket:
    """[HD-1] The contact with the caller: the office's own step, or the community's for the delegating township."""
    if _own_assignment(ticket, by) is not None:
        return dispatch_services.contact_caller(ticket=ticket, by=by, note=note)
    ticket = lock_ticket(ticket)
    delegation = _delegation_to(ticket, by)
    workflow.check(ticket, "delegated_contact")
    if not note.strip():
        raise ValidationError({"note": _("Say how and what was agreed with the caller.")})
    if delegation.state == Delegation.State.ASSIGNED:
        _accept_in_passing(ticket, delegation, by)
    workflow.fire(ticket, "delegated_contact", by=by, note=note, data={"for": delegation.assignment.office.code})
    if ticket.contacted_at is None:
        ticket.contacted_at = timezone.now()
        ticket.save(update_fields=["contacted_at", "updated_at"])
    return ticket


def _accept_in_passing(ticket: Ticket, delegation: Delegation, by: User) -> None:
    """Acting on a delegation not yet accepted accepts it (one event each, in order)."""
    delegation.state, delegation.accepted_at = Delegation.State.ACCEPTED, timezone.now()
    delegation.worker = delegation.worker or by
    delegation.save(update_fields=["state", "accepted_at", "worker"])
    workflow.fire(ticket, "accept_delegation", by=by, data={"delegation": delegation.pk})


@dataclass
class FieldReply:
    """What a reply from the field became: the office's formal reply, or a community draft for the township."""

    reply: Reply | None = None
    draft: CommunityReply | None = None
    photos: list[Attachment] = field(default_factory=list)

    @property
    def is_draft(self) -> bool:
        return self.draft is not None


@transaction.atomic
def reply_from_field(*, ticket: Ticket, by: User, fields: dict[str, str], photos: list[CleanPhoto] = ()) -> FieldReply:
    """[HD-2] A reply with its photos, in one transaction.

    An office holding the ticket replies formally through dispatch (the lead's
    reply, or a co-handler's part [AS-2]); a community working under a
    township's delegation submits a draft that the township reviews first [HD-3].
    """
    if _own_assignment(ticket, by) is not None:
        formal = dispatch_services.reply(ticket=ticket, by=by, **fields)
        attached = add_photos(ticket=ticket, by=by, photos=photos, context="reply") if photos else []
        return FieldReply(reply=formal, photos=attached)
    ticket = lock_ticket(ticket)
    delegation = _delegation_to(ticket, by)
    workflow.check(ticket, "submit_community_reply")
    if delegation.state == Delegation.State.SUBMITTED:
        raise RuleViolation(_("Your draft reply is already with the township for review."), code="draft_pending")
    cleaned = dispatch_services.validate_reply(fields)
    if delegation.state == Delegation.State.ASSIGNED:
        _accept_in_passing(ticket, delegation, by)
    now = timezone.now()
    draft = CommunityReply.objects.create(
        delegation=delegation, ticket=ticket, submitted_at=now, submitted_by=by, **cleaned
    )
    delegation.state = Delegation.State.SUBMITTED
    delegation.save(update_fields=["state"])
    workflow.fire(
        ticket,
        "submit_community_reply",
        by=by,
        note=cleaned["result"][:200],
        data={"draft": draft.pk, "to": delegation.assignment.office.code},
        at=now,
    )
    attached = add_photos(ticket=ticket, by=by, photos=photos, context="draft") if photos else []
    return FieldReply(draft=draft, photos=attached)


@transaction.atomic
def approve_community_reply(*, ticket: Ticket, by: User, note: str = "", **edits: str) -> Reply:
    """[HD-3] The township approves the community's draft (edited or not): it goes up as the township's reply."""
    ticket = lock_ticket(ticket)
    delegation = _delegation_from(ticket, by)
    draft = delegation.drafts.filter(review=CommunityReply.Review.PENDING).first()
    if draft is None:
        raise RuleViolation(_("No community draft awaits your review."), code="no_draft")
    workflow.check(ticket, "approve_community_reply")
    fields = {k: (edits.get(k) or "").strip() or getattr(draft, k) for k in dispatch_services.REPLY_FIELDS}
    changed = sorted(k for k, v in fields.items() if v != getattr(draft, k))
    workflow.fire(
        ticket,
        "approve_community_reply",
        by=by,
        note=note,
        data={"draft": draft.pk, "from": delegation.office.code, "edited": changed},
    )
    formal = dispatch_services.reply(ticket=ticket, by=by, **fields)
    now = timezone.now()
    draft.review, draft.review_note, draft.reviewed_at, draft.reviewed_by = (
        CommunityReply.Review.APPROVED,
        note,
        now,
        by,
    )
    draft.reply = formal
    draft.save(update_fields=["review", "review_note", "reviewed_at", "reviewed_by", "reply"])
    delegation.state, delegation.is_active, delegation.ended_at = Delegation.State.APPROVED, False, now
    delegation.save(update_fields=["state", "is_active", "ended_at"])
    return formal


@transaction.atomic
def send_back_community_reply(*, ticket: Ticket, by: User, note: str) -> CommunityReply:
    """[HD-3] The township sends the community's draft back, saying what it lacks."""
    ticket = lock_ticket(ticket)
    delegation = _delegation_from(ticket, by)
    draft = delegation.drafts.filter(review=CommunityReply.Review.PENDING).first()
    if draft is None:
        raise RuleViolation(_("No community draft awaits your review."), code="no_draft")
    workflow.check(ticket, "send_back_community_reply")
    if not note.strip():
        raise ValidationError({"note": _("Say what the draft lacks.")})
    now = timezone.now()
    draft.review, draft.review_note, draft.reviewed_at, draft.reviewed_by = (
        CommunityReply.Review.SENT_BACK,
        note,
        now,
        by,
    )
    draft.save(update_fields=["review", "review_note", "reviewed_at", "reviewed_by"])
    delegation.state = Delegation.State.SENT_BACK
    delegation.save(update_fields=["state"])
    workflow.fire(ticket, "send_back_community_reply", by=by, note=note, data={"draft": draft.pk}, at=now)
    return draft


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


# ---------------------------------------------------------------------------
# Photos
# ---------------------------------------------------------------------------


def may_add_photos(ticket: Ticket, user) -> bool:
    """The offices working on a ticket, the community it is delegated to, and whoever reported it."""
    if not _office_id(user):
        return False
    if ticket.created_by_id and ticket.created_by_id == user.pk:
        return True
    if ticket.assignments.filter(is_active=True, office_id=user.office_id).exists():
        return True
    return Delegation.objects.filter(ticket=ticket, is_active=True, office_id=user.office_id).exists()


@transaction.atomic
def add_photos(*, ticket: Ticket, by: User, photos: list[CleanPhoto], context: str = "evidence") -> list[Attachment]:
    """Store checked photos (dispatch attachments, each with its Photo data) and write one event."""
    ticket = lock_ticket(ticket)
    if not may_add_photos(ticket, by):
        raise NotPermitted(_("Only the offices working on this ticket add photos to it."), code="not_working_on_it")
    workflow.check(ticket, "attach_photos")
    attachments = []
    for photo in photos:
        attachment = dispatch_services.add_photo(ticket=ticket, by=by, photo=photo)
        Photo.objects.create(
            attachment=attachment,
            width=photo.width,
            height=photo.height,
            thumbnail=ContentFile(photo.thumb, name=photo.stored_name.rsplit(".", 1)[0] + ".jpg"),
            original_format=photo.original_format,
            original_size=photo.original_size,
            sha256=photo.sha256,
            taken_at=photo.taken_at,
            exif_point=Point(*photo.exif_lonlat, srid=4326) if photo.exif_lonlat else None,
            device=photo.device,
            context=context,
        )
        attachments.append(attachment)
    if attachments:
        workflow.fire(
            ticket,
            "attach_photos",
            by=by,
            note="、".join(a.name for a in attachments)[:300],
            data={"attachments": [a.pk for a in attachments], "context": context},
        )
    return attachments


# ---------------------------------------------------------------------------
# Patrol reports [ORG-5]
# ---------------------------------------------------------------------------


@dataclass
class PatrolReport:
    """A problem a grid worker found on patrol, as entered on the phone."""

    description: str
    category: str
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    urgency: str = Urgency.GENERAL
    settle: dict[str, str] | None = None  # the [HD-2] reply when it was settled on the spot (接诉即办)
    device_time: str = ""  # when the phone recorded it (offline reports are sent later)


@dataclass
class PatrolResult:
    ticket: Ticket
    created: bool
    settled: bool = False
    photos: list[Attachment] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return self.ticket.status == Status.REFUSED


def patrol_key(user: User, client_key: str) -> str:
    """The intake idempotency key of a patrol report: the phone's key, within the reporting user's own keys."""
    return f"patrol:{user.pk}:{client_key}"[:100]


def _intake_data(report: PatrolReport, by: User) -> dispatch_services.IntakeData:
    return dispatch_services.IntakeData(
        channel=Channel.GRID_WORKER,
        kind=Kind.REPORT,
        description=report.description.strip(),
        urgency=report.urgency,
        category=report.category,
        address=report.address.strip(),
        lon=report.lon,
        lat=report.lat,
        caller_name=(getattr(by, "display_name", "") or by.username)[:60],
        caller_phone=(by.office.phone if by.office_id else "")[:24],
        extra={"patrol": {"by": by.username, "office": by.office.code, "device_time": report.device_time}},
    )


def route_preview(*, lon: float | None, lat: float | None, address: str = "", category: str = ""):
    """Where a report would go, without making it: (Location, RoutePlan) as intake would compute them."""
    table = routing_table()
    data = dispatch_services.IntakeData(
        channel=Channel.GRID_WORKER,
        kind=Kind.REPORT,
        description="",
        category=category,
        address=address,
        lon=lon,
        lat=lat,
    )
    location = dispatch_services.locate_request(data, table)
    plan = table.route(place=location.place, category=table.category(category) if category else None)
    return location, plan


def validate_patrol(report: PatrolReport, by: User) -> dict[str, str]:
    """Field errors of a patrol report before anything is made (the [HD-2] reply too when settled on the spot)."""
    errors: dict[str, str] = {}
    table = routing_table()
    category = table.category(report.category) if report.category else None
    if category is None:
        errors["category"] = _("Choose the category of the problem.")
    if len(report.description.strip()) < 5:
        errors["description"] = _("Describe the problem in a few words (at least 5 characters).")
    if (report.lon is None or report.lat is None) and not report.address.strip():
        errors["location"] = _("Give the place: use the phone's position, tap the map or type the address.")
    if report.urgency not in Urgency.values:
        errors["urgency"] = _("Choose the urgency.")
    if report.settle is not None:
        try:
            dispatch_services.validate_reply(report.settle)
        except ValidationError as e:
            errors.update({k: " ".join(v) for k, v in e.message_dict.items()})
        if category is not None and "location" not in errors:
            if not category.community_can_settle:
                errors["settle"] = _(
                    "%(category)s is not settled by a community: untick “settled on the spot” and it goes to the unit in charge."
                ) % {"category": category.path}
            else:
                _location, plan = route_preview(
                    lon=report.lon, lat=report.lat, address=report.address, category=report.category
                )
                lead = plan.lead
                if lead is None or lead.office.id != by.office_id:
                    errors["settle"] = _(
                        "This place is answered for by %(office)s, not your workstation: untick “settled on the spot”."
                    ) % {"office": lead.office.name if lead else _("the manual dispatch queue")}
    return errors


def report_from_patrol(
    *, by: User, report: PatrolReport, photos: list[CleanPhoto] = (), client_key: str
) -> PatrolResult:
    """[ORG-5][IN-1] A problem found on patrol becomes a ticket of channel 'grid worker', routed like any other.

    The phone's key makes it idempotent: a resend (an offline report sent again,
    a double tap) returns the first ticket and adds nothing. Photos are stored
    with it, and when the category is one the community settles and the place is
    the worker's own community, the worker may settle it at once (接诉即办): the
    workstation signs for it and replies [HD-1][HD-2], all in one transaction.
    """
    if not _office_id(by) or getattr(by, "role", None) not in PATROL_ROLES:
        raise NotPermitted(_("Only grid workers and service-center staff report from patrol."), code="role")
    if not client_key or len(client_key) > 64 or not client_key.isprintable():
        raise ValidationError({"idempotency_key": _("A report needs its key (at most 64 printable characters).")})
    errors = validate_patrol(report, by)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        intake = dispatch_services.intake_ticket(
            data=_intake_data(report, by), by=by, idempotency_key=patrol_key(by, client_key)
        )
        result = PatrolResult(ticket=intake.ticket, created=intake.created)
        if not intake.created or intake.refused:
            return result
        if photos:
            result.photos = add_photos(ticket=intake.ticket, by=by, photos=photos, context="report")
        if report.settle is not None:
            lead = intake.ticket.assignments.filter(is_active=True, role=Assignment.Role.LEAD).first()
            if lead is not None and lead.office_id == by.office_id:
                ticket = dispatch_services.sign_for(ticket=intake.ticket, by=by, note=_("settled on the spot"))
                dispatch_services.reply(ticket=ticket, by=by, **report.settle)
                result.settled = True
        result.ticket.refresh_from_db()
        return result


def device_time(value: str) -> str:
    """A phone's ISO time, kept as text when it parses (it is data, not a clock the SLA runs on)."""
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat() if value else ""
    except ValueError:
        return ""
