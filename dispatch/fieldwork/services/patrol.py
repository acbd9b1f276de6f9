"""[ORG-5][IN-1] Patrol reports: what a grid worker finds becomes a ticket of channel 'grid worker', routed
like any other, and settled on the spot when the community may settle it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.photos import CleanPhoto
from dispatch import services as dispatch_services
from dispatch.exceptions import NotPermitted
from dispatch.fieldwork.services.common import _office_id
from dispatch.fieldwork.services.photos import add_photos
from dispatch.models import Assignment, Attachment, Channel, Kind, Status, Ticket, Urgency
from dispatch.policy import PATROL_ROLES
from dispatch.routing import routing_table
from grid.models import User


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
