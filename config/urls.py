from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from dispatch.fieldwork.views import AttachmentFileView
from maps.views import home

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/grid/", include("grid.urls")),
    path("api/geo/", include("geo.urls")),
    path("api/maps/", include("maps.api_urls")),
    path("api/", include("dispatch.urls")),
    path("open311/v2/", include("dispatch.open311_urls")),
    path("maps/", include("maps.urls")),
    path("assessment/", include("dispatch.reports")),
    path("w/", include("workstations.urls")),
    # Ticket files are never served as plain static files: only to those who may see the ticket.
    path("media/<path:path>", AttachmentFileView.as_view(), name="attachment-file"),
]

# The API answers in JSON even when no route matches or Django refuses the request itself.
handler400 = "config.api.bad_request"
handler404 = "config.api.not_found"
