from django.urls import path

from alerts import api

urlpatterns = [
    path("", api.SpikeListView.as_view(), name="spikes"),
    path("<int:alert_id>/", api.SpikeDetailView.as_view(), name="spike"),
    path("<int:alert_id>/acknowledge/", api.SpikeAcknowledgeView.as_view(), name="spike-acknowledge"),
    path("<int:alert_id>/report/", api.SpikeReportView.as_view(), name="spike-report"),
    path("<int:alert_id>/dismiss/", api.SpikeDismissView.as_view(), name="spike-dismiss"),
]
