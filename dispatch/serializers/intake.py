"""Intake: the shape of a new request [IN-1..5] and of the answer to it. Every field is validated and
named in the 400."""

from __future__ import annotations

import datetime as dt
import math
import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.exports import xml_safe
from dispatch import selectors, sla
from dispatch.models import Channel, EmergencyTransfer, Kind, Nature, RefusalReason, Status, Urgency
from dispatch.routing import routing_table
from dispatch.serializers.read import CallerSerializer, ClockSerializer, PointField, TicketOfficeSerializer
from dispatch.services import IntakeData

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
    transfer_to = serializers.ChoiceField(
        choices=EmergencyTransfer.Line.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="For an emergency: the line the call is handed to (110, 119, 120, 122, a utility) [CT-2]",
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
            transfer_to=d["transfer_to"],
        )


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
    suggested_refusal = serializers.DictField(
        allow_null=True, help_text="A refusal rule's suggestion, queued for a person to confirm [IN-4]"
    )
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
            "suggested_refusal": (t.extra or {}).get("suggested_refusal"),
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
