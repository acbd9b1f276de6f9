"""HTTP API of the maps: thin views over maps.selectors and maps.services.

Every read is scoped by dispatch's rule (tickets_visible_to); every query
parameter is validated (400 naming the field)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import NotFound
from dispatch.models import Ticket

from . import selectors, services
from .models import Hotspot
from .serializers import (
    AreaStatSerializer,
    AreaStatsQuerySerializer,
    CaseSerializer,
    ClustersQuerySerializer,
    ClustersSerializer,
    HotspotsQuerySerializer,
    HotspotsSerializer,
    RegisterEntrySerializer,
    SummaryQuerySerializer,
    SummarySerializer,
)


def _query(serializer_class, request) -> dict:
    s = serializer_class(data=request.query_params)
    s.is_valid(raise_exception=True)
    return s.validated_data


class SummaryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[SummaryQuerySerializer], responses={200: SummarySerializer})
    def get(self, request):
        """The wall's counters, top categories (today vs the last 7 days) and latest tickets, in the caller's scope."""
        q = _query(SummaryQuerySerializer, request)
        return Response(SummarySerializer(selectors.summary(request.user, area=q.get("area"))).data)


class AreaStatsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[AreaStatsQuerySerializer], responses={200: AreaStatSerializer(many=True)})
    def get(self, request):
        """Open and overdue tickets per county, township or community (areas without any are left out)."""
        q = _query(AreaStatsQuerySerializer, request)
        rows = selectors.area_stats(request.user, level=q["level"], parent=q.get("parent"))
        return Response(AreaStatSerializer(rows, many=True).data)


class ClustersView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[ClustersQuerySerializer], responses={200: ClustersSerializer})
    def get(self, request):
        """Tickets of a view aggregated on the server into grid bins of ~64 px (GeoJSON): a bin of one
        ticket comes as that ticket. At most a few thousand features, however many tickets."""
        q = _query(ClustersQuerySerializer, request)
        data = selectors.clusters(
            request.user,
            bbox=q["bbox"],
            zoom=q["zoom"],
            since=q.get("since"),
            category=q.get("category"),
            area=q.get("area"),
        )
        return Response(ClustersSerializer(data).data)


class HotspotsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[HotspotsQuerySerializer], responses={200: HotspotsSerializer})
    def get(self, request):
        """Hotspots (GeoJSON): same-category tickets clustered with DBSCAN in metres (EPSG:4547), per the
        category's rule or over `days`, among the tickets the caller may see [AN-1]."""
        q = _query(HotspotsQuerySerializer, request)
        data = selectors.hotspots(request.user, category=q.get("category"), days=q.get("days"), area=q.get("area"))
        return Response(HotspotsSerializer(data).data)


STATE_PARAM = OpenApiParameter(
    "state",
    str,
    required=False,
    enum=[s for s, _label in Hotspot.State.choices],
    description="Only entries in this state (default: every active one)",
)


def _entries(entries: list[Hotspot]) -> list[dict]:
    ids = {i for h in entries for i in h.ticket_ids}
    numbers = dict(Ticket.objects.filter(id__in=ids).values_list("id", "number")) if ids else {}
    return [selectors.register_entry(h, numbers=numbers) for h in entries]


class RegisterView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[STATE_PARAM], responses={200: RegisterEntrySerializer(many=True)})
    def get(self, request):
        """The hotspot register: new and growing hotspots first, for the center to open supervision cases."""
        state = request.query_params.get("state")
        if state is not None and state not in Hotspot.State.values:
            raise serializers.ValidationError({"state": [f"Use one of: {', '.join(Hotspot.State.values)}."]})
        entries = selectors.register_for(request.user, states=[state] if state else None)
        return Response(RegisterEntrySerializer(_entries(entries), many=True).data)


class OpenCaseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CaseSerializer, responses={200: RegisterEntrySerializer, 400: None, 403: None, 404: None})
    def post(self, request, hotspot_id: int):
        """Open a supervision case on a hotspot (the command center or a sub-center) [SV-1][SV-3]."""
        s = CaseSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        visible = {h.id: h for h in selectors.register_for(request.user, states=list(Hotspot.State.values))}
        if hotspot_id not in visible:
            raise NotFound("No such hotspot.")
        h = services.open_supervision_case(hotspot=visible[hotspot_id], by=request.user, note=s.validated_data["note"])
        return Response(RegisterEntrySerializer(_entries([h])[0]).data)
