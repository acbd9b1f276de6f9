"""Answers for requests that failed on the server's side.

A lost or refused database connection (a PostgreSQL restart or fail-over, an exhausted
pool, a lock wait that timed out) is not a bug in the request: it is answered 503 with
Retry-After, so that clients and proxies retry (an intake retried with the same
Idempotency-Key never makes a second ticket), instead of 500. Everything else is
Django's plain 500.
"""

from __future__ import annotations

import sys

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

from core.middleware import caused_by_database_outage

RETRY_AFTER_SECONDS = 5


def server_error(request, template_name: str = "500.html"):
    """handler500: 503 + Retry-After for a database outage, else Django's 500."""
    exc = sys.exc_info()[1]
    if not caused_by_database_outage(exc):
        return django_server_error(request, template_name=template_name)
    message = _("The database is briefly unavailable; please retry in a few seconds.")
    wants_json = request.path.startswith(("/api/", "/open311/")) or "json" in request.headers.get("Accept", "")
    if wants_json:
        response = JsonResponse({"detail": message, "code": "database_unavailable"}, status=503)
    else:
        response = HttpResponse(
            f'<!doctype html><html lang="zh-hans"><title>503</title><h1>503</h1><p>{message}</p></html>',
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
