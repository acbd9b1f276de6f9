"""Open311 GeoReport v2 paths: each resource in .json or .xml; any other path a 404 in the spec's format."""

from django.urls import re_path

from open311 import views as open311

FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, open311.DiscoveryView.as_view(), name="open311-discovery"),
    re_path(r"^services" + FMT, open311.ServicesView.as_view(), name="open311-services"),
    re_path(r"^services/(?P<code>[^/.]+)" + FMT, open311.ServiceDefinitionView.as_view(), name="open311-service"),
    re_path(r"^requests" + FMT, open311.RequestsView.as_view(), name="open311-requests"),
    re_path(r"^requests/(?P<request_id>[^/.]+)" + FMT, open311.RequestView.as_view(), name="open311-request"),
    re_path(r"^tokens/(?P<token>[^/.]+)" + FMT, open311.TokenView.as_view(), name="open311-token"),
    re_path(r"^(?P<rest>.*)$", open311.unknown_path, name="open311-unknown"),
]
