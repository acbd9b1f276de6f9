"""HTTP API of spike alerts for the walls and integrators [AN-1]: a scoped list, one alert, and
one POST per answer (acknowledge, report, dismiss). An alert the user may not see is a 404, an
answer their role may not give a 403, an alert no longer open a 409."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import selectors, services
from alerts.serializers import (
    SpikeAlertSerializer,
    SpikeDismissSerializer,
    SpikeListQuerySerializer,
    SpikeReportSerializer,
)
from core.api import NotFound


def _out(request, alert_id: int) -> Response:
    now = timezone.now()
    alert = selectors.spike_for(request.user, alert_id, now=now)
    return Response(SpikeAlertSerializer(alert, context={"request": request, "now": now}).data)


class SpikeListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[SpikeListQuerySerializer], responses={200: SpikeAlertSerializer(many=True)})
    def get(self, request):
        """Spike alerts of the townships the caller's office answers for: open ones first, nearest
        report deadline first, then the newest (at most 200)."""
        q = SpikeListQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        now = timezone.now()
        alerts = selectors.list_spikes(request.user, now=now, **q.validated_data)
        return Response(SpikeAlertSerializer(alerts, many=True, context={"request": request, "now": now}).data)


class SpikeDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: SpikeAlertSerializer, 404: None})
    def get(self, request, alert_id: int):
        """One spike alert, with its report deadline and answer."""
        if selectors.spike_for(request.user, alert_id) is None:
            raise NotFound(_("No spike alert %(id)s.") % {"id": alert_id})
        return _out(request, alert_id)


class SpikeAcknowledgeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: SpikeAlertSerializer, 403: None, 404: None, 409: None})
    def post(self, request, alert_id: int):
        """A dispatcher takes the flare on (the report stays owed)."""
        services.acknowledge_spike(alert=alert_id, by=request.user)
        return _out(request, alert_id)


class SpikeReportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=SpikeReportSerializer, responses={200: SpikeAlertSerializer, 400: None, 403: None, 404: None, 409: None}
    )
    def post(self, request, alert_id: int):
        """File the fast report on the flare, due 2 hours after detection [AN-1]."""
        s = SpikeReportSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.file_spike_report(alert=alert_id, by=request.user, text=s.validated_data["text"])
        return _out(request, alert_id)


class SpikeDismissView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=SpikeDismissSerializer,
        responses={200: SpikeAlertSerializer, 400: None, 403: None, 404: None, 409: None},
    )
    def post(self, request, alert_id: int):
        """Close an alert that is not a flare, with the reason."""
        s = SpikeDismissSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.dismiss_spike(alert=alert_id, by=request.user, reason=s.validated_data["reason"])
        return _out(request, alert_id)
