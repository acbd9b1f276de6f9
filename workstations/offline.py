"""The workstation pages as an installable offline app: the service worker (served from /w/ so that it
controls the workstation pages and nothing else), the web manifest and the page shown offline."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

STATIC_APP = Path(__file__).resolve().parent / "static" / "workstations"
PRECACHE = [
    "maps/site.css",
    "workstations/ws.css",
    "workstations/ws.js",
    "workstations/outbox.js",
    "workstations/report.js",
    "workstations/map.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
    "vendor/htmx/htmx.min.js",
]


def _assets_version() -> str:
    digest = hashlib.sha256()
    for name in sorted(p.name for p in STATIC_APP.iterdir()):
        digest.update((STATIC_APP / name).read_bytes())
    return digest.hexdigest()[:12]


@require_GET
def service_worker(request):
    """The service worker, served from /w/ so that it controls the workstation pages (and nothing else)."""
    body = render_to_string(
        "workstations/sw.js",
        {
            "version": _assets_version(),
            "assets": json.dumps([f"{settings.STATIC_URL}{a}" for a in PRECACHE]),
            "pages": json.dumps([reverse("ws:report"), reverse("ws:queue")]),
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    return JsonResponse(
        {
            "name": _("Grid 12345 workstation"),
            "short_name": _("Grid 12345"),
            "start_url": reverse("ws:queue"),
            "scope": reverse("ws:queue"),
            "display": "standalone",
            "background_color": "#f5f7fa",
            "theme_color": "#c8102e",
            "icons": [{"src": f"{settings.STATIC_URL}maps/favicon.svg", "sizes": "any", "type": "image/svg+xml"}],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def offline(request):
    return render(request, "workstations/offline.html")
