"""HTTP API of tickets: intake, scoped lists and details, and one POST per workflow action.

Views only translate HTTP to services and selectors: a ticket the user may not
see is a 404, an action the user may not take a 403, an action the state forbids
a 409 with the reason (core.api maps the domain errors).
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.photos import PhotoRejected, clean_photo

from . import selectors, services
from .actions import API_ACTIONS, REGISTRY
from .exceptions import IntakeRefused
from .serializers import (
    AttachmentSerializer,
    CallbackSerializer,
    DispatchSerializer,
    ExtensionRequestSerializer,
    IntakeResponseSerializer,
    IntakeSerializer,
    NoteSerializer,
    ReplyInputSerializer,
    RequiredNoteSerializer,
    ReturnDecisionSerializer,
    ReturnRefusalSerializer,
    ReturnSerializer,
    TicketDetailSerializer,
    TicketListQuerySerializer,
    TicketSerializer,
)


class TicketCursorPagination(CursorPagination):
    ordering = ("-received_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        """A cursor the client altered is bad input (400 naming the parameter), not a missing page."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise serializers.ValidationError(
                {self.cursor_query_param: [_("Invalid cursor: use the next or previous link of a page.")]}
            ) from None


def cursor_page(serializer: type[serializers.Serializer], name: str):
    """The schema of one cursor page: links to the next and previous pages and the results."""
    return inline_serializer(
        name,
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer(many=True),
        },
    )


CURSOR_PARAMETERS = [
    OpenApiParameter("cursor", str, description="The position of a page, from a next or previous link."),
    OpenApiParameter("page_size", int, description="Tickets per page, at most 200 (default 50)."),
]


TICKET_PAGE = cursor_page(TicketSerializer, "TicketPage")


def _detail(request, ticket, *, status_code=status.HTTP_200_OK, headers=None) -> Response:
    data = TicketDetailSerializer(selectors.detail_for_api(ticket), context={"request": request}).data
    return Response(data, status=status_code, headers=headers)


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A retry with the same key returns the first ticket (200) instead of making a second.",
)


class TicketsView(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = TicketCursorPagination

    @extend_schema(
        parameters=[TicketListQuerySerializer, *CURSOR_PARAMETERS],
        responses={200: TICKET_PAGE},
        operation_id="api_tickets_list",
    )
    def get(self, request):
        """Tickets the caller's office may see, newest first, with cursor pagination."""
        q = TicketListQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        qs = selectors.filter_tickets(selectors.tickets_visible_to(request.user), **q.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.list_for_api(qs), request, view=self)
        now = timezone.now()
        return paginator.get_paginated_response(
            TicketSerializer(page, many=True, context={"request": request, "now": now}).data
        )

    @extend_schema(
        request=IntakeSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: IntakeResponseSerializer, 200: IntakeResponseSerializer, 400: None, 409: None, 422: None},
    )
    def post(self, request):
        """Take a request in: refused (422) [IN-4], answered from the knowledge base [IN-5], routed or queued."""
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key is not None and (len(key) > 100 or not key.isprintable()):
            raise serializers.ValidationError({"Idempotency-Key": [_("At most 100 printable characters.")]})
        s = IntakeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        result = services.intake_ticket(
            data=s.to_intake(),
            by=request.user,
            idempotency_key=key,
        )
        ticket = result.ticket
        if result.refused:
            raise IntakeRefused(
                _("Not accepted: %(reason)s. %(referral)s")
                % {"reason": ticket.get_refusal_reason_display(), "referral": ticket.referral},
                reason=ticket.refusal_reason,
                referral=ticket.referral,
                ticket=ticket.number,
            )
        headers = {"Location": f"/api/tickets/{ticket.number}/"}
        if not result.created:
            headers["Idempotent-Replayed"] = "true"
        return Response(
            IntakeResponseSerializer(result, context={"request": request}).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
            headers=headers,
        )


class QueueCursorPagination(TicketCursorPagination):
    ordering = ("received_at", "id")


class DispatchQueueView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=CURSOR_PARAMETERS, responses={200: TICKET_PAGE}, operation_id="api_dispatch_queue_list")
    def get(self, request):
        """The manual dispatch queue the caller's office sees, oldest first: tickets that could not be routed."""
        paginator = QueueCursorPagination()
        qs = selectors.list_for_api(selectors.dispatch_queue(request.user))
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(TicketSerializer(page, many=True, context={"request": request}).data)


class TicketDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: TicketDetailSerializer, 404: None})
    def get(self, request, number: str):
        """A ticket with its assignments, replies, extensions and history (404 if not the caller's to see)."""
        return _detail(request, selectors.ticket_for(request.user, number))


class TicketActionView(APIView):
    """One workflow action on one ticket; subclasses are made from ACTIONS below."""

    permission_classes = [IsAuthenticated]
    input_serializer: type[serializers.Serializer] = NoteSerializer
    perform: Callable

    def post(self, request, number: str):
        ticket = selectors.ticket_for(request.user, number)
        s = self.input_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        type(self).perform(ticket=ticket, by=request.user, data=s.validated_data)
        return _detail(request, ticket)


# The input each API action validates; the action itself is dispatch.actions' registry entry.
ACTION_INPUTS: dict[str, type[serializers.Serializer]] = {
    "dispatch": DispatchSerializer,
    "sign-for": NoteSerializer,
    "contact": RequiredNoteSerializer,
    "return": ReturnSerializer,
    "approve-return": ReturnDecisionSerializer,
    "refuse-return": ReturnRefusalSerializer,
    "request-extension": ExtensionRequestSerializer,
    "approve-extension": NoteSerializer,
    "refuse-extension": RequiredNoteSerializer,
    "reply": ReplyInputSerializer,
    "accept-reply": NoteSerializer,
    "send-back": RequiredNoteSerializer,
    "callback": CallbackSerializer,
}


def _action_view(name: str) -> type[TicketActionView]:
    action = REGISTRY[name]
    input_serializer, summary = ACTION_INPUTS[name], action.summary

    def perform(ticket, by, data):
        return action.perform(ticket=ticket, by=by, data=data)

    def post(self, request, number: str):
        return TicketActionView.post(self, request, number)

    post = extend_schema(
        request=input_serializer,
        responses={200: TicketDetailSerializer, 400: None, 403: None, 404: None, 409: None},
        summary=summary,
        operation_id=f"tickets_{name.replace('-', '_')}",
    )(post)
    return type(
        f"Ticket{name.title().replace('-', '')}View",
        (TicketActionView,),
        {"input_serializer": input_serializer, "perform": staticmethod(perform), "__doc__": summary, "post": post},
    )


ACTION_VIEWS = {name: _action_view(name) for name in API_ACTIONS}


class AttachmentUploadView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=inline_serializer("AttachmentUpload", {"file": serializers.FileField()}),
        responses={201: AttachmentSerializer, 400: None, 404: None},
    )
    def post(self, request, number: str):
        """A photo (JPEG, PNG, WebP or HEIC, at most 10 MB and 64 megapixels) for a ticket the caller may
        see. Checked by its content and re-encoded by the same cleaner as the workstations' photos
        (core.photos): no EXIF position, script or trailing bytes is ever stored or served."""
        ticket = selectors.ticket_for(request.user, number)
        upload = request.FILES.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": [_("Attach a file in the 'file' field.")]})
        try:
            photo = clean_photo(upload)
        except PhotoRejected as rejected:
            raise serializers.ValidationError({"file": rejected.messages}, code=rejected.code) from None
        attachment = services.add_photo(ticket=ticket, by=request.user, photo=photo)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class CategoriesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: None})
    def get(self, request):
        """The two-level category taxonomy."""
        return Response(selectors.category_tree())


class KnowledgeSearchView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True, description="The caller's question")],
        responses={200: None, 400: None},
    )
    def get(self, request):
        """Knowledge-base answers for a question, best first [IN-5]."""
        q = (request.query_params.get("q") or "").strip()
        if not q:
            raise serializers.ValidationError({"q": [_("Give the question to search for.")]})
        if len(q) > 500:
            raise serializers.ValidationError({"q": [_("At most 500 characters.")]})
        return Response(
            [
                {"id": a.id, "question": a.question, "answer": a.answer, "score": round(score, 3)}
                for a, score in selectors.search_knowledge(q)
            ]
        )
