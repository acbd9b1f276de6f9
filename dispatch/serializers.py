"""Input and output shapes of the tickets API. Inputs validate every field and
name it in the 400; outputs mask the caller unless the user's office must call back."""

from __future__ import annotations

import datetime as dt
import math
import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from core.exports import xml_safe
from dispatch import policy
from dispatch.models import Channel, Kind, Nature, RefusalReason, Satisfaction, Status, Ticket, Urgency

from . import selectors, sla
from .routing import routing_table
from .services import IntakeData

PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{4,22}$")
MAX_ATTACHMENT_URLS = 10
XML_TEXT_FIELDS = ("description", "address", "caller_name", "caller_phone", "external_id")


class FiniteFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        if isinstance(data, bool):
            raise serializers.ValidationError(_("A number is required."))
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise serializers.ValidationError(_("A finite number is required."))
        return value


def validate_phone(value: str) -> str:
    value = value.strip()
    if value and not PHONE_RE.match(value):
        raise serializers.ValidationError(_("Enter a phone number of digits (and - or spaces), e.g. 13812341234."))
    return value


class IntakeSerializer(serializers.Serializer):
    """A new request [IN-1..5]. Give a point (lon, lat) or an address the geocoder can place."""

    channel = serializers.ChoiceField(choices=Channel.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    nature = serializers.ChoiceField(choices=Nature.choices, required=False, allow_blank=True, default="")
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.GENERAL)
    category = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=60,
        help_text="Leaf code (0101) or path (城市管理/下水道堵塞)",
    )
    description = serializers.CharField(max_length=4000, trim_whitespace=True)
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    lon = FiniteFloatField(required=False, allow_null=True, default=None, min_value=-180, max_value=180)
    lat = FiniteFloatField(required=False, allow_null=True, default=None, min_value=-90, max_value=90)
    caller_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    caller_phone = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=24, validators=[validate_phone]
    )
    caller_email = serializers.EmailField(required=False, allow_blank=True, default="", max_length=254)
    external_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    attachments = serializers.ListField(
        child=serializers.URLField(max_length=500), required=False, default=list, max_length=MAX_ATTACHMENT_URLS
    )
    refuse_reason = serializers.ChoiceField(
        choices=RefusalReason.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="The call-taker's finding that the request is not acceptable [IN-4]",
    )

    def validate_category(self, value: str) -> str:
        if value and routing_table().category(value) is None:
            raise serializers.ValidationError(
                _("Unknown category %(category)s: use a leaf code such as 0101.") % {"category": value}
            )
        return value

    def validate_received_at(self, value):
        if value and value > timezone.now() + dt.timedelta(minutes=5):
            raise serializers.ValidationError(_("The time of receipt cannot be in the future."))
        return value

    def validate(self, attrs):
        errors = {}
        for name in XML_TEXT_FIELDS:  # a pasted control character would break every XML feed of the ticket
            attrs[name] = xml_safe(attrs[name])
        if not attrs["description"].strip():
            errors["description"] = _("This field may not be blank.")
        if (attrs.get("lon") is None) != (attrs.get("lat") is None):
            missing = "lat" if attrs.get("lat") is None else "lon"
            errors[missing] = _("Give both lon and lat, or neither.")
        if attrs["channel"] != Channel.GRID_WORKER:  # [IN-2] real-name registration; a grid worker reports as themself
            if not attrs.get("caller_name", "").strip():
                errors["caller_name"] = _("The caller's name is required (real-name registration) [IN-2].")
            if not attrs.get("caller_phone", "").strip():
                errors["caller_phone"] = _("The caller's phone is required (real-name registration) [IN-2].")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def to_intake(self) -> IntakeData:
        return self.intake_data(self.validated_data)

    @staticmethod
    def intake_data(d: dict) -> IntakeData:
        return IntakeData(
            channel=d["channel"],
            kind=d["kind"],
            description=d["description"],
            urgency=d["urgency"],
            nature=d["nature"],
            category=d["category"],
            address=d["address"].strip(),
            lon=d["lon"],
            lat=d["lat"],
            caller_name=d["caller_name"].strip(),
            caller_phone=d["caller_phone"].strip(),
            caller_email=d["caller_email"],
            external_id=d["external_id"].strip(),
            received_at=d["received_at"],
            attachment_urls=d["attachments"],
            refuse_reason=d["refuse_reason"],
        )


def _comma_list(value: str, choices, field: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    allowed = {c for c, _label in choices}
    bad = [v for v in items if v not in allowed]
    if bad:
        raise serializers.ValidationError(
            _("Unknown %(field)s: %(bad)s. Use: %(allowed)s.")
            % {"field": field, "bad": ", ".join(bad), "allowed": ", ".join(sorted(allowed))}
        )
    return items


class FlexibleDateTimeField(serializers.DateTimeField):
    """A date (the start of that day, local time) or a date-time."""

    def to_internal_value(self, value):
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            try:
                day = dt.date.fromisoformat(value.strip())
            except ValueError:
                raise serializers.ValidationError(_("Not a valid date.")) from None
            return timezone.make_aware(dt.datetime.combine(day, dt.time()))
        return super().to_internal_value(value)


class TicketListQuerySerializer(serializers.Serializer):
    status = serializers.CharField(required=False, help_text="Comma-separated statuses")
    office = serializers.CharField(required=False, max_length=40, help_text="Code of an office holding it")
    area = serializers.RegexField(r"^\d{6,12}$", required=False, help_text="County, township or community code")
    category = serializers.CharField(required=False, max_length=16, help_text="Leaf or top-level category code")
    urgency = serializers.CharField(required=False, help_text="Comma-separated urgencies")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    repeat = serializers.BooleanField(required=False, allow_null=True, default=None)
    focus = serializers.BooleanField(required=False, allow_null=True, default=None)
    bbox = serializers.CharField(required=False, help_text="minlon,minlat,maxlon,maxlat")
    received_from = FlexibleDateTimeField(required=False, help_text="Date or date-time (inclusive)")
    received_to = FlexibleDateTimeField(required=False, help_text="Date or date-time (exclusive)")

    def validate_status(self, value):
        return _comma_list(value, Status.choices, "status")

    def validate_urgency(self, value):
        return _comma_list(value, Urgency.choices, "urgency")

    def validate_bbox(self, value):
        try:
            parts = [float(p) for p in value.split(",")]
        except ValueError:
            raise serializers.ValidationError(_("bbox is four numbers: minlon,minlat,maxlon,maxlat.")) from None
        if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
            raise serializers.ValidationError(_("bbox is four numbers: minlon,minlat,maxlon,maxlat."))
        minx, miny, maxx, maxy = parts
        if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
            raise serializers.ValidationError(_("bbox must have min < max within longitude/latitude ranges."))
        return (minx, miny, maxx, maxy)

    def validate(self, attrs):
        if attrs.get("received_from") and attrs.get("received_to") and attrs["received_from"] >= attrs["received_to"]:
            raise serializers.ValidationError({"received_to": _("received_to must be after received_from.")})
        return attrs


# -- output ----------------------------------------------------------------------------


class TicketOfficeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "description": "GeoJSON Point (lon, lat in WGS84)",
        "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        },
    }
)
class PointField(GeometryField):
    """A ticket's point as GeoJSON."""


class CallerSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    masked = serializers.BooleanField()


class ClockSerializer(serializers.Serializer):
    clock = serializers.CharField(help_text="resolve, callback or none")
    deadline = serializers.DateTimeField(allow_null=True)
    seconds_left = serializers.IntegerField(allow_null=True)
    fraction_used = serializers.FloatField(allow_null=True)
    state = serializers.CharField(help_text="ok, near, overdue or done")


class TicketSerializer(serializers.ModelSerializer):
    """A ticket in a list."""

    category = serializers.SerializerMethodField()
    location = PointField(source="point", allow_null=True)
    place = serializers.SerializerMethodField()
    center = TicketOfficeSerializer(allow_null=True)
    lead = serializers.SerializerMethodField()
    caller = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display")
    time_left = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "number",
            "status",
            "status_label",
            "channel",
            "kind",
            "nature",
            "urgency",
            "category",
            "description",
            "address",
            "location",
            "place",
            "center",
            "lead",
            "caller",
            "received_at",
            "sign_by",
            "reply_by",
            "resolve_by",
            "callback_due",
            "time_left",
            "supervision_level",
            "focus_reasons",
            "step",
        ]

    def get_category(self, t: Ticket) -> dict | None:
        return {"code": t.category.code, "path": t.category.path} if t.category_id else None

    def get_place(self, t: Ticket) -> dict:
        return {
            "county_code": t.county_code,
            "township_code": t.township_code,
            "community_code": t.community_code,
            "names": t.place_names,
            "is_central": t.is_central,
        }

    def get_lead(self, t: Ticket) -> dict | None:
        lead = next((a for a in t.assignments.all() if a.is_active and a.role == "lead"), None)
        return {"code": lead.office.code, "name": lead.office.name, "kind": lead.office.kind} if lead else None

    def get_caller(self, t: Ticket) -> dict:
        return selectors.caller_for(self.context["request"].user, t)

    def get_time_left(self, t: Ticket) -> dict:
        return sla.clock(t, self.context.get("now")).as_dict()


class AssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    office = TicketOfficeSerializer()
    role = serializers.CharField()
    step = serializers.IntegerField()
    state = serializers.CharField()
    is_active = serializers.BooleanField()
    why = serializers.CharField()
    assigned_at = serializers.DateTimeField()
    signed_at = serializers.DateTimeField(allow_null=True)
    return_reason = serializers.CharField()
    suggested_office = TicketOfficeSerializer(allow_null=True)
    replied_at = serializers.DateTimeField(allow_null=True)


class ReplySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    office = TicketOfficeSerializer()
    role = serializers.CharField()
    step = serializers.IntegerField()
    facts = serializers.CharField()
    result = serializers.CharField()
    basis = serializers.CharField()
    signer = serializers.CharField()
    handler_name = serializers.CharField()
    replied_at = serializers.DateTimeField()
    review = serializers.CharField()
    review_note = serializers.CharField()


class ExtensionSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    days = serializers.IntegerField()
    reason = serializers.CharField()
    signed_off_by = serializers.CharField()
    state = serializers.CharField()
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    deadline_before = serializers.DateTimeField()
    deadline_after = serializers.DateTimeField(allow_null=True)


class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor = serializers.SerializerMethodField()
    office = serializers.SerializerMethodField()
    note = serializers.CharField()
    data = serializers.JSONField()

    def get_actor(self, e) -> str:
        return (e.actor.display_name or e.actor.username) if e.actor_id else "system"

    def get_office(self, e) -> str:
        return e.actor_office.name if e.actor_office_id else ""


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.SerializerMethodField()
    content_type = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)

    def get_url(self, a) -> str:
        return a.file.url if a.file else a.url


class TicketDetailSerializer(TicketSerializer):
    """A ticket with everything that happened to it, and what the caller may do now."""

    assignments = AssignmentSerializer(many=True)
    replies = ReplySerializer(many=True)
    extensions = ExtensionSerializer(many=True)
    history = EventSerializer(many=True, source="events")
    attachments = AttachmentSerializer(many=True)
    repeat_of = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    refusal = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [
            *TicketSerializer.Meta.fields,
            "location_source",
            "geocode_precision",
            "signed_at",
            "contacted_at",
            "replied_at",
            "closed_at",
            "archived_at",
            "near_deadline_at",
            "overdue_at",
            "callback_sms_at",
            "callback_at",
            "satisfaction",
            "repeat_of",
            "attention",
            "refusal",
            "answer",
            "reply_text",
            "assignments",
            "replies",
            "extensions",
            "history",
            "attachments",
            "actions",
        ]

    def get_refusal(self, t: Ticket) -> dict | None:
        return {"reason": t.refusal_reason, "referral": t.referral} if t.refusal_reason else None

    def get_actions(self, t: Ticket) -> list[str]:
        return policy.available_actions(t, self.context["request"].user)


# -- actions ----------------------------------------------------------------------------


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RequiredNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class DispatchSerializer(NoteSerializer):
    lead = serializers.CharField(max_length=40, help_text="Office code of the lead unit")
    co_handlers = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=10
    )
    category = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    suggested_office = serializers.CharField(max_length=40, help_text="Office code the unit suggests [AS-3]")


class ReturnDecisionSerializer(NoteSerializer):
    office = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    assignment = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class ReturnRefusalSerializer(RequiredNoteSerializer):
    assignment = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class ExtensionRequestSerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=6)
    reason = serializers.CharField(max_length=2000)
    signed_off_by = serializers.CharField(max_length=60, help_text="The unit head who signed it [SLA-3]")


class ReplyInputSerializer(serializers.Serializer):
    """[HD-2] facts, result, basis, signer and handler; the unit and time are recorded."""

    facts = serializers.CharField(max_length=4000)
    result = serializers.CharField(max_length=4000)
    basis = serializers.CharField(max_length=2000)
    signer = serializers.CharField(max_length=60)
    handler_name = serializers.CharField(max_length=60)


CALLBACK_CHANNELS = [("sms", "SMS"), ("phone", "phone")]


class CallbackSerializer(NoteSerializer):
    channel = serializers.ChoiceField(choices=CALLBACK_CHANNELS)
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)


# API action → the transitions it may fire (for the 'actions' list of a ticket)
class IntakeResponseSerializer(serializers.Serializer):
    """The answer to an intake: the ticket as routed, built from what intake made (no re-reading)."""

    number = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    channel = serializers.CharField()
    kind = serializers.CharField()
    urgency = serializers.CharField()
    category = serializers.DictField(allow_null=True)
    location = PointField(allow_null=True)
    place = serializers.DictField()
    center = TicketOfficeSerializer(allow_null=True)
    lead = TicketOfficeSerializer(allow_null=True)
    assignments = serializers.ListField(child=serializers.DictField())
    caller = CallerSerializer()
    received_at = serializers.DateTimeField()
    sign_by = serializers.DateTimeField(allow_null=True)
    reply_by = serializers.DateTimeField(allow_null=True)
    resolve_by = serializers.DateTimeField(allow_null=True)
    time_left = ClockSerializer()
    focus_reasons = serializers.ListField(child=serializers.CharField())
    answer = serializers.CharField()
    refusal = serializers.DictField(allow_null=True)
    attachments = serializers.ListField(child=serializers.DictField())
    history = serializers.ListField(child=serializers.DictField())

    def to_representation(self, result) -> dict:
        t = result.ticket
        table = routing_table()
        assignments, events, attachments = result.assignments, result.events, result.attachments
        if assignments is None:  # a retry: read what the first intake made
            assignments = list(t.assignments.filter(is_active=True))
            events = list(t.events.order_by("at", "id"))
            attachments = list(t.attachments.all())

        def office(office_id: int | None) -> dict | None:
            ref = table.offices.get(office_id)
            return {"code": ref.code, "name": ref.name, "kind": ref.kind} if ref else None

        category = table.categories.get(t.category_id)
        lead = next((a for a in assignments if a.role == "lead"), None)
        date_time = serializers.DateTimeField()
        return {
            "number": t.number,
            "status": t.status,
            "status_label": str(Status(t.status).label),
            "channel": t.channel,
            "kind": t.kind,
            "urgency": t.urgency,
            "category": {"code": category.code, "path": category.path} if category else None,
            "location": {"type": "Point", "coordinates": [t.point.x, t.point.y]} if t.point else None,
            "place": {
                "county_code": t.county_code,
                "township_code": t.township_code,
                "community_code": t.community_code,
                "names": t.place_names,
                "is_central": t.is_central,
            },
            "center": office(t.center_id),
            "lead": office(lead.office_id) if lead else None,
            "assignments": [{"office": office(a.office_id), "role": a.role, "why": a.why} for a in assignments],
            "caller": selectors.caller_for(self.context["request"].user, t),
            "received_at": date_time.to_representation(t.received_at),
            "sign_by": date_time.to_representation(t.sign_by) if t.sign_by else None,
            "reply_by": date_time.to_representation(t.reply_by) if t.reply_by else None,
            "resolve_by": date_time.to_representation(t.resolve_by) if t.resolve_by else None,
            "time_left": sla.clock(t).as_dict(),
            "focus_reasons": list(t.focus_reasons),
            "answer": t.answer,
            "refusal": {"reason": t.refusal_reason, "referral": t.referral} if t.refusal_reason else None,
            "attachments": [{"url": a.file.url if a.file else a.url, "name": a.name} for a in attachments],
            "history": [
                {
                    "at": date_time.to_representation(e.at),
                    "action": e.action,
                    "from_status": e.from_status,
                    "to_status": e.to_status,
                    "note": e.note,
                }
                for e in events
            ],
        }
