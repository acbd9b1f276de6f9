from django.urls import path

from . import api

urlpatterns = [
    path("summary", api.SummaryView.as_view(), name="maps-summary"),
    path("areas", api.AreaStatsView.as_view(), name="maps-area-stats"),
    path("clusters", api.ClustersView.as_view(), name="maps-clusters"),
    path("hotspots", api.HotspotsView.as_view(), name="maps-hotspots"),
    path("hotspots/register", api.RegisterView.as_view(), name="maps-register"),
    path("hotspots/register/<int:hotspot_id>/case", api.OpenCaseView.as_view(), name="maps-open-case"),
]
