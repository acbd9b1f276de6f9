"""/api/console/… (the console's own calls), /api/cti/… (the PBX) and /api/intake/… (suggestions)."""

from django.urls import path

from . import api

console_urlpatterns = [
    path("caller", api.CallerHistoryView.as_view(), name="console-caller"),
    path("calls/", api.CallsView.as_view(), name="console-calls"),
    path("calls/<str:call_id>/draft", api.DraftView.as_view(), name="console-draft"),
    path("calls/<str:call_id>/link", api.LinkView.as_view(), name="console-link"),
    path("calls/<str:call_id>/transfer", api.TransferView.as_view(), name="console-transfer"),
    path("calls/<str:call_id>/three-way", api.ThreeWayView.as_view(), name="console-three-way"),
    path("tickets", api.ConsoleTicketView.as_view(), name="console-ticket"),
    path("outbound", api.OutboundView.as_view(), name="console-outbound"),
    path("wall", api.WallView.as_view(), name="console-wall"),
    path("leader-days/", api.LeaderDaysView.as_view(), name="console-leader-days"),
    path("leader-days/<int:leader_day_id>/bookings", api.LeaderBookingView.as_view(), name="console-leader-booking"),
]
cti_urlpatterns = [path("events", api.CtiEventsView.as_view(), name="cti-events")]
intake_urlpatterns = [path("suggest", api.SuggestView.as_view(), name="intake-suggest")]
