"""Inputs of the workflow's actions: each validates its fields and names them in the 400."""

from __future__ import annotations

from rest_framework import serializers

from dispatch.models import CallerContact, EmergencyTransfer, RefusalReason, Satisfaction


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RequiredNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class ContactSerializer(RequiredNoteSerializer):
    """[HD-1] A contact with the caller: how, and whether the caller was reached (a failed attempt is recorded too)."""

    means = serializers.ChoiceField(choices=CallerContact.Means.choices, default=CallerContact.Means.PHONE)
    outcome = serializers.ChoiceField(choices=CallerContact.Outcome.choices, default=CallerContact.Outcome.REACHED)


class DispatchSerializer(NoteSerializer):
    lead = serializers.CharField(max_length=40, help_text="Office code of the lead unit")
    co_handlers = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=10
    )
    category = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)


class AddCoHandlerSerializer(NoteSerializer):
    office = serializers.CharField(max_length=40, help_text="Office code of the unit brought in [AS-2]")


class ConfirmRefusalSerializer(NoteSerializer):
    """[IN-4][CT-2] A dispatcher's refusal of a queued request: the reason (by default the one a rule
    suggested), the referral the caller is given, and for an emergency the line it is handed to."""

    reason = serializers.ChoiceField(choices=RefusalReason.choices, required=False, allow_blank=True, default="")
    referral = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    transfer_to = serializers.ChoiceField(
        choices=EmergencyTransfer.Line.choices, required=False, allow_blank=True, default=""
    )


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
