"""The console's HTTP API: the PBX's events [CT-1], suggestions while typing, the screen pop's history,
and what the call-taker does with a call (draft, ticket, link, transfer, three-way, call out)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, MethodNotAllowed
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.models import Channel
from dispatch.policy import may_see_call_board, may_use_console
from dispatch.serializers import FiniteFloatField, IntakeSerializer
from grid.models import Office

from . import selectors, services
from .suggest import suggest
from .threefixed import unit_contact


class MethodFirst:
    """A method the operation does not have is a 405 for everyone, before who asks is checked."""

    def initial(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)


class ConsoleUser(BasePermission):
    """[CT-1] A call-taker, dispatcher or administrator of a center; everyone else gets a 403."""

    message = "Only the call-takers and dispatchers of a center use the console."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and may_use_console(request.user))


class CallBoardReader(BasePermission):
    message = "Only a center's staff read the call figures."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and may_see_call_board(request.user))


class PbxTokenAuthentication(BaseAuthentication):
    """The PBX presents `Authorization: Bearer <token>` (a token made in the admin) [CT-1]."""

    def authenticate(self, request):
        token = services.token_from(request.headers.get("Authorization", ""))
        row = services.authenticate_pbx(token)
        if row is None:
            raise AuthenticationFailed(_("A valid telephony token is required."), code="bad_token")
        return (None, row)

    def authenticate_header(self, request):
        return 'Bearer realm="cti"'


class PbxTokenScheme(OpenApiAuthenticationExtension):
    target_class = "console.api.PbxTokenAuthentication"
    name = "pbxToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A telephony token made in the admin [CT-1]"}


class CtiEventSerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=[(k, k) for k in services.EVENT_KINDS])
    call_id = serializers.RegexField(r"^[A-Za-z0-9._:@-]{1,64}$", max_length=64)
    caller = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    callee = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    extension = serializers.RegexField(r"^[0-9A-Za-z*#]{1,16}$", max_length=16, required=False, default="")
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    recording_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["event"] == "ringing" and not attrs["extension"]:
            raise serializers.ValidationError({"extension": _("A ringing event names the extension that rings.")})
        if attrs["event"] == "recording" and not attrs["recording_url"]:
            raise serializers.ValidationError({"recording_url": _("A recording event gives the recording's URL.")})
        return attrs


class CtiEventsView(MethodFirst, APIView):
    authentication_classes = [PbxTokenAuthentication]
    permission_classes = []

    @extend_schema(request=CtiEventSerializer, responses={202: None, 400: None, 401: None})
    def post(self, request):
        """[CT-1] One event of the PBX (ringing, answered, hangup, recording): recorded on the call's record
        and sent to the console of the agent whose extension rang, and to no one else."""
        s = CtiEventSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        call = services.record_cti_event(
            services.CtiEvent(
                kind=d["event"],
                call_id=d["call_id"],
                caller=d["caller"],
                callee=d["callee"],
                extension=d["extension"],
                at=d["at"],
                recording_url=d["recording_url"],
            )
        )
        return Response(
            {"call_id": call.call_id, "state": call.state, "delivered_to_seat": bool(call.seat_id and call.agent_id)},
            status=status.HTTP_202_ACCEPTED,
        )


class SuggestSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000, trim_whitespace=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    lon = FiniteFloatField(required=False, allow_null=True, default=None, min_value=-180, max_value=180)
    lat = FiniteFloatField(required=False, allow_null=True, default=None, min_value=-90, max_value=90)
    caller = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if (attrs.get("lon") is None) != (attrs.get("lat") is None):
            raise serializers.ValidationError({"lat": _("Give both lon and lat, or neither.")})
        return attrs


class SuggestView(MethodFirst, APIView):
    permission_classes = [ConsoleUser]

    @extend_schema(request=SuggestSerializer, responses={200: None, 400: None, 403: None})
    def post(self, request):
        """While the call-taker types: categories (top 3) with the unit that would get it [AS-1], knowledge-base
        answers [IN-5], a referral or emergency transfer to confirm [IN-4][CT-2], the place, similar open tickets."""
        s = SuggestSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        return Response(suggest(user=request.user, text=d["text"], lon=d["lon"], lat=d["lat"], address=d["address"]))


class CallerHistoryView(MethodFirst, APIView):
    permission_classes = [ConsoleUser]

    @extend_schema(
        parameters=[OpenApiParameter("phone", str, required=True, description="The caller's number")],
        responses={200: None, 400: None, 403: None},
    )
    def get(self, request):
        """The screen pop: the number's tickets of the last 12 months, open first, and the repeat flag [SV-2]."""
        phone = services.normalize_phone(request.query_params.get("phone", ""))
        if not 3 <= len(phone) <= 20:
            raise serializers.ValidationError({"phone": [_("Give the caller's number (3 to 20 digits).")]})
        return Response(selectors.caller_history(request.user, phone))


class CallsView(MethodFirst, APIView):
    permission_classes = [ConsoleUser]

    @extend_schema(responses={200: None, 403: None})
    def get(self, request):
        """The agent's recent calls, each with the tickets made from it or linked to it."""
        return Response(selectors.calls_of(request.user))


class DraftSerializer(serializers.Serializer):
    draft = serializers.DictField(child=serializers.CharField(max_length=4000, allow_blank=True))

    def validate_draft(self, value: dict) -> dict:
        if len(value) > 30:
            raise serializers.ValidationError(_("At most 30 fields."))
        return value


class DraftView(MethodFirst, APIView):
    permission_classes = [ConsoleUser]

    @extend_schema(request=DraftSerializer, responses={200: None, 400: None, 403: None, 404: None})
    def put(self, request, call_id: str):
        """Save the ticket form as typed so far, during the call."""
        call = services.call_for(request.user, call_id)
        s = DraftSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.save_draft(user=request.user, call=call, draft=s.validated_data["draft"])
        return Response({"call_id": call.call_id, "saved": True})

    @extend_schema(responses={200: None, 403: None, 404: None})
    def get(self, request, call_id: str):
        call = services.call_for(request.user, call_id)
        return Response({"call_id": call.call_id, "draft": call.draft})


class ConsoleIntakeSerializer(IntakeSerializer):
    channel = serializers.ChoiceField(
        choices=[(Channel.PHONE, Channel.PHONE.label)], required=False, default=Channel.PHONE
    )
    call_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    province_number = serializers.RegexField(
        r"^[A-Za-z0-9-]{4,40}$",
        required=False,
        allow_blank=True,
        default="",
        help_text="The province hotline's number of an assigned ticket (省12345 交办) [CT-5]",
    )
    idempotency_key = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class ConsoleTicketView(MethodFirst, APIView):
    permission_classes = [ConsoleUser]

    @extend_schema(request=ConsoleIntakeSerializer, responses={201: None, 200: None, 400: None, 403: None, 404: None})
    def post(self, request):
        """Take the ticket: intake with channel phone, placed and dispatched at once [AS-1]; linked to the call."""
        s = ConsoleIntakeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        call = services.call_for(request.user, d["call_id"]) if d["call_id"] else None
        key = d["idempotency_key"].strip()
        result = services.take_ticket(
            user=request.user,
            data=s.to_intake(),
            call=call,
            province_number=d["province_number"],
            idempotency_key=f"console:{request.user.pk}:{key}" if key else None,
        )
        t = result.ticket
        t.refresh_from_db()
        units = [
            {"office": a.office.name, "role": a.role, "why": a.why}
            for a in t.assignments.filter(is_active=True).select_related("office")
        ]
        return Response(
            {
                "number": t.number,
                "status": t.status,
                "status_label": t.get_status_display(),
                "units": units,
                "referral": t.referral,
                "answer": t.answer,
                "focus_reasons": t.focus_reasons,
                "external_id": t.external_id,
                "created": result.created,
            },
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class LinkSerializer(serializers.Serializer):
    ticket = serializers.CharField(max_length=32)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class LinkView(MethodFirst, APIView):
    permission_classes = [ConsoleUser]

    @extend_schema(request=LinkSerializer, responses={200: None, 400: None, 403: None, 404: None, 422: None})
    def post(self, request, call_id: str):
        """Same problem: add this call's caller to the open ticket instead of opening a duplicate."""
        call = services.call_for(request.user, call_id)
        s = LinkSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        ticket = services.link_caller(
            user=request.user, call=call, number=s.validated_data["ticket"], note=s.validated_data["note"]
        )
        return Response({"call_id": call.call_id, "ticket": ticket.number, "linked": True})


class TransferSerializer(serializers.Serializer):
    line = serializers.CharField(max_length=16)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TransferView(MethodFirst, APIView):
    permission_classes = [ConsoleUser]

    @extend_schema(request=TransferSerializer, responses={200: None, 400: None, 403: None, 404: None, 422: None})
    def post(self, request, call_id: str):
        """[CT-2] Transfer an emergency to 110/119/120/122 or a utility's line; recorded as a linkage."""
        call = services.call_for(request.user, call_id)
        s = TransferSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        call = services.transfer_emergency(user=request.user, call=call, **s.validated_data)
        return Response({"call_id": call.call_id, "transferred_to": call.transferred_to})


class ThreeWaySerializer(serializers.Serializer):
    office = serializers.CharField(max_length=40)


class ThreeWayView(MethodFirst, APIView):
    permission_classes = [ConsoleUser]

    @extend_schema(request=ThreeWaySerializer, responses={200: None, 400: None, 403: None, 404: None, 422: None})
    def post(self, request, call_id: str):
        """[CT-1][CT-3] Bring a unit into the call on its three-fixed number; the answer gives its fixed person
        and hours, with a warning outside them."""
        call = services.call_for(request.user, call_id)
        s = ThreeWaySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.three_way(user=request.user, call=call, office_code=s.validated_data["office"])
        office = Office.objects.get(code=s.validated_data["office"])
        return Response({"call_id": call.call_id, "requested": True, "contact": unit_contact(office)})


class OutboundSerializer(serializers.Serializer):
    ticket = serializers.CharField(max_length=32)
    target = serializers.ChoiceField(choices=[("caller", "caller"), ("unit", "unit")])
    office = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class OutboundView(MethodFirst, APIView):
    permission_classes = [ConsoleUser]

    @extend_schema(request=OutboundSerializer, responses={201: None, 400: None, 403: None, 404: None, 422: None})
    def post(self, request):
        """Click-to-call (外呼) from a ticket to its caller or a unit's fixed number [CT-1][CT-3]."""
        s = OutboundSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        call = services.call_out(user=request.user, number=d["ticket"], target=d["target"], office_code=d["office"])
        answer = {"call_id": call.call_id, "extension": call.extension}
        if d["target"] == "unit":  # [CT-3] the unit's fixed person and hours, a warning outside them
            answer["contact"] = unit_contact(Office.objects.get(code=call.pbx_log[-1]["office"]))
        return Response(answer, status=status.HTTP_201_CREATED)


class WallView(MethodFirst, APIView):
    permission_classes = [CallBoardReader]

    @extend_schema(responses={200: None, 403: None})
    def get(self, request):
        """Calls waiting, answered today, answer rate, agents on seat, a leader on the line."""
        return Response(selectors.wall_figures(request.user))


class LeaderDaysView(MethodFirst, APIView):
    permission_classes = [ConsoleUser]

    @extend_schema(responses={200: None, 403: None})
    def get(self, request):
        """[CT-4] The coming leaders' answering days of the user's center, with how many callers are booked."""
        return Response(selectors.leader_days(request.user))


class BookingSerializer(serializers.Serializer):
    caller_phone = serializers.CharField(max_length=24)
    caller_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    topic = serializers.CharField(max_length=200)

    def validate_caller_phone(self, value: str) -> str:
        if not 3 <= len(services.normalize_phone(value)) <= 20:
            raise serializers.ValidationError(_("Give the caller's number (3 to 20 digits)."))
        return value


class LeaderBookingView(MethodFirst, APIView):
    permission_classes = [ConsoleUser]

    @extend_schema(request=BookingSerializer, responses={201: None, 400: None, 403: None, 404: None, 422: None})
    def post(self, request, leader_day_id: int):
        """[CT-4] Book the caller to speak with the leader on that answering day."""
        s = BookingSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        booking = services.book_leader_day(user=request.user, leader_day_id=leader_day_id, **s.validated_data)
        return Response({"id": booking.id, "day": booking.leader_day.day.isoformat()}, status=status.HTTP_201_CREATED)
