"""/api/linkage/… (the API) and /linkage/… (the ticket page's hand-over form) [CT-2]."""

from django.urls import path

from . import api, views

api_urlpatterns = [
    path("handovers", api.HandOversView.as_view(), name="linkage-handovers"),
    path("handovers/<int:handover_id>/retry", api.RetryView.as_view(), name="linkage-retry"),
    path("handovers/<str:handover_key>/reference", api.ReferenceView.as_view(), name="linkage-reference"),
    path("tickets", api.InboundTicketsView.as_view(), name="linkage-tickets"),
]
app_name = "linkage"
urlpatterns = [
    path("t/<str:number>/hand-over", views.hand_over_page, name="hand-over"),
]
