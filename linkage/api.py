"""/api/linkage/…: a center hands a ticket over to a linked system, and a linked system hands a matter to
12345 or answers a hand-over with its reference (工单互转) [CT-2]."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api import ConsoleUser, MethodFirst
from console.services import token_from
from dispatch.models import Channel
from dispatch.serializers import IntakeSerializer

from . import services
from .models import HandOver

REFERENCE = r"^[A-Za-z0-9._:/-]{1,64}$"


def handover_json(h: HandOver) -> dict:
    return {
        "id": h.id,
        "ticket": h.ticket.number,
        "line": h.system.code,
        "system": h.system.name,
        "direction": h.direction,
        "state": h.state,
        "state_label": h.get_state_display(),
        "at": h.at.isoformat(),
        "by": str(h.by) if h.by else "",
        "their_reference": h.their_reference,
        "attempts": h.attempts,
        "last_error": h.last_error,
    }


class HandOverSerializer(serializers.Serializer):
    ticket = serializers.CharField(max_length=32)
    line = serializers.CharField(max_length=8)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    call_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


def _answer(h: HandOver, ok_status: int) -> Response:
    if h.state == HandOver.State.FAILED:
        return Response(
            {"detail": _("The linked system did not take it: %(error)s") % {"error": h.last_error}, **handover_json(h)},
            status=status.HTTP_502_BAD_GATEWAY,
        )
    return Response(handover_json(h), status=ok_status)


class HandOversView(MethodFirst, APIView):
    permission_classes = [ConsoleUser]

    @extend_schema(
        request=HandOverSerializer, responses={201: None, 400: None, 403: None, 404: None, 422: None, 502: None}
    )
    def post(self, request):
        """[CT-2] Hand the ticket over to a linked system (110/119/120/122, a utility line): recorded, sent by
        the configured backend, its reference kept when it answers. 502 (the record kept) if it refused."""
        s = HandOverSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        h = services.hand_over(
            user=request.user, number=d["ticket"], line=d["line"], note=d["note"], call_id=d["call_id"]
        )
        return _answer(h, status.HTTP_201_CREATED)


class RetryView(MethodFirst, APIView):
    permission_classes = [ConsoleUser]

    @extend_schema(request=None, responses={200: None, 403: None, 404: None, 422: None, 502: None})
    def post(self, request, handover_id: int):
        """Send a waiting or failed hand-over again (same idempotency key: the linked system sees it once)."""
        return _answer(services.retry_hand_over(user=request.user, handover_id=handover_id), status.HTTP_200_OK)


class LinkedSystemAuthentication(BaseAuthentication):
    """A linked system presents `Authorization: Bearer <token>` (its token, made in the admin) [CT-2]."""

    def authenticate(self, request):
        system = services.authenticate_system(token_from(request.headers.get("Authorization", "")))
        if system is None:
            raise AuthenticationFailed(_("A valid linked system's token is required."), code="bad_token")
        return (None, system)

    def authenticate_header(self, request):
        return 'Bearer realm="linkage"'


class LinkedSystemScheme(OpenApiAuthenticationExtension):
    target_class = "linkage.api.LinkedSystemAuthentication"
    name = "linkedSystemToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A linked system's token made in the admin [CT-2]"}


class InboundTicketSerializer(IntakeSerializer):
    channel = serializers.ChoiceField(
        choices=[(Channel.LINKAGE, Channel.LINKAGE.label)], required=False, default=Channel.LINKAGE
    )
    reference = serializers.RegexField(REFERENCE, help_text="The sender's own number of the matter")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class InboundTicketsView(MethodFirst, APIView):
    authentication_classes = [LinkedSystemAuthentication]
    permission_classes = []

    @extend_schema(request=InboundTicketSerializer, responses={201: None, 200: None, 400: None, 401: None, 409: None})
    def post(self, request):
        """[CT-2] A linked system (110 …) hands a non-emergency matter to 12345: it enters the one intake with
        channel linkage; the same reference again answers the first ticket (200)."""
        s = InboundTicketSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        result = services.receive_ticket(
            system=request.auth, reference=d["reference"], data=s.to_intake(), note=d["note"]
        )
        t = result.ticket
        return Response(
            {"number": t.number, "status": t.status, "reference": d["reference"], "created": result.created},
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class ReferenceSerializer(serializers.Serializer):
    reference = serializers.RegexField(REFERENCE)


class ReferenceView(MethodFirst, APIView):
    authentication_classes = [LinkedSystemAuthentication]
    permission_classes = []

    @extend_schema(request=ReferenceSerializer, responses={200: None, 400: None, 401: None, 404: None})
    def post(self, request, handover_key: str):
        """The linked system answers a hand-over it was sent with its own reference number."""
        s = ReferenceSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        h = services.record_reference(
            system=request.auth, handover_key=handover_key, reference=s.validated_data["reference"]
        )
        return Response({"handover_id": h.idempotency_key, "their_reference": h.their_reference, "state": h.state})
