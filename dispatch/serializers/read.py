"""Reading tickets: the list's query and the shapes of a ticket in a list and in detail. The caller is
masked unless the user's office must call back [IN-2]."""

from __future__ import annotations

import datetime as dt
import math
import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from dispatch import policy, selectors, sla
from dispatch.models import Channel, Status, Ticket, Urgency


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
