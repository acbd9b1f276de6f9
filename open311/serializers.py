"""The intake's serializer as an Open311 key's partner uses it: the phone may be left out when the key's
partner registers its users by real name and holds their phones itself [IN-2] (Open311Key)."""

from __future__ import annotations

from rest_framework import serializers

from dispatch.serializers import IntakeSerializer


class PartnerIntakeSerializer(IntakeSerializer):
    """IntakeSerializer; with context ``phone_optional`` a missing phone is no error (a given one is still checked)."""

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except serializers.ValidationError as exc:
            if not self.context.get("phone_optional") or not isinstance(exc.detail, dict):
                raise
            rest = {field: msgs for field, msgs in exc.detail.items() if field != "caller_phone"}
            if rest:
                raise serializers.ValidationError(rest) from None
            return attrs  # the parent cleaned attrs in place before it raised
