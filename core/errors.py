"""Answers for requests that failed on the server's side.

A lost or refused database connection (a PostgreSQL restart or fail-over, an exhausted
pool, a lock wait that timed out) is not a bug in the request: it is answered 503 with
Retry-After, so that clients and proxies retry (an intake retried with the same
Idempotency-Key never makes a second ticket), instead of 500. Everything else is
Django's plain 500.

An app whose clients read errors in a format of their own (Open311's error list) registers it for
its path prefix (``register_error_format``); Django's own answers there (handler400/404/500) and any
middleware that refuses a request before a view runs (``formatted_error``) then answer in it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

from core.middleware import caused_by_database_outage

RETRY_AFTER_SECONDS = 5

# (path prefix, formatter(request, status, message, code, headers=...) -> HttpResponse), set by apps' ready()
_FORMATS: dict[str, Callable[..., HttpResponse]] = {}


def register_error_format(prefix: str, formatter: Callable[..., HttpResponse]) -> None:
    """Answer errors under `prefix` with `formatter` (core imports no app: the app registers itself)."""
    _FORMATS[prefix] = formatter


def formatted_error(request, status: int, message: str, code: str = "", *, headers=None) -> HttpResponse | None:
    """The error in the format registered for the request's path, or None if none is."""
    for prefix, formatter in _FORMATS.items():
        if request.path.startswith(prefix):
            return formatter(request, status, str(message), code, headers=headers)
    return None


def server_error(request, template_name: str = "500.html"):
    """handler500: 503 + Retry-After for a database outage, else Django's 500."""
    exc = sys.exc_info()[1]
    if not caused_by_database_outage(exc):
        formatted = formatted_error(request, 500, _("The server failed to answer this request."), "server_error")
        return formatted or django_server_error(request, template_name=template_name)
    message = _("The database is briefly unavailable; please retry in a few seconds.")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    formatted = formatted_error(request, 503, message, "database_unavailable", headers=headers)
    if formatted is not None:
        return formatted
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
