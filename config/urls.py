from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from briefings.map_report import briefing_report
from citizen.views import public_cases_api
from console.api_urls import console_urlpatterns, cti_urlpatterns, intake_urlpatterns
from dispatch.fieldwork.views import AttachmentFileView
from linkage.urls import api_urlpatterns as linkage_api_urlpatterns
from maps.views import home

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file of its own (?script): no inline script (CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("api/grid/", include("grid.urls")),
    path("api/geo/", include("geo.urls")),
    path("api/maps/", include("maps.api_urls")),
    path("api/spikes/", include("alerts.api_urls")),
    path("api/public/cases", public_cases_api, name="public-cases"),
    path("api/console/", include(console_urlpatterns)),
    path("api/cti/", include(cti_urlpatterns)),
    path("api/intake/", include(intake_urlpatterns)),
    path("api/linkage/", include(linkage_api_urlpatterns)),
    path("api/", include("dispatch.urls")),
    path("open311/v2/", include("open311.urls")),
    # the briefing map keeps its address under /maps/; the page is the briefings'
    path("maps/report/<str:code>/", briefing_report, name="maps-report"),
    path("maps/", include("maps.urls")),
    path("assessment/", include("assessment.urls")),
    path("briefings/spikes/", include("alerts.views")),
    path("briefings/", include("briefings.views")),
    path("w/", include("workstations.urls")),
    path("desks/", include("desks.urls")),
    path("surveys/", include("surveys.urls")),
    path("center/", include("console.urls")),
    path("linkage/", include("linkage.urls")),
    path("audit/", include("audit.urls")),
    path("m/", include("citizen.urls")),  # the citizen's side (issue 16)
    # Ticket files are never served as plain static files: only to those who may see the ticket.
    path("media/<path:path>", AttachmentFileView.as_view(), name="attachment-file"),
]

# A lost database connection answers 503 + Retry-After instead of 500 (core.errors).
handler500 = "core.errors.server_error"
# The API answers in JSON even when no route matches or Django refuses the request itself.
handler400 = "core.api.bad_request"
handler404 = "core.api.not_found"
