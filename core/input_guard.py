"""One guard for hostile input, in front of every view: no request a client can send is a 500.

Values PostgreSQL cannot hold are refused before any view runs (issue 18):
- a NUL character in the path (404: such an address names nothing), in a query parameter's name or
  value, or in a url-encoded form field (400);
- a whole number in the path, a query parameter or a form field with more digits than a bigint can
  hold (path 404, else 400): ?page=99999999999999999999 would otherwise reach an OFFSET;
- a JSON (or any non-multipart) body nested deeper than MAX_JSON_DEPTH (400): Python's json parser
  recurses once per level and a body nested 100,000 deep raises RecursionError in DRF's parser or in
  a view's own json.loads.
What gets past these checks and still makes the database refuse a value (DataError: a NUL inside a
JSON string, a number out of a column's range) is answered 400 too, by process_exception, and logged.

Answers take the caller's format: JSON ({"detail", "code"}) under the API prefixes, the Open311
error list ([{"code", "description"}] or <errors><error>, by the path's extension) under /open311/,
and the Chinese error page (templates/400.html, 404.html) for pages.
"""

from __future__ import annotations

import logging
import re
from xml.sax.saxutils import escape

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DataError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/media/")
OPEN311_PREFIX = "/open311/"
# GeoJSON needs about 8 levels (a feature collection of multipolygons); 64 leaves room for any real body.
MAX_JSON_DEPTH = 64
# A bigint holds 19 digits (9,223,372,036,854,775,807); a count, an id or a page number never needs more than 18.
MAX_DIGITS = 18
_TOO_MANY_DIGITS = re.compile(rf"[+-]?0*[1-9]\d{{{MAX_DIGITS},}}")  # leading zeros do not count
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class InputRefused(Exception):
    def __init__(self, status: int, message: str, code: str, field: str = ""):
        super().__init__(message)
        self.status, self.message, self.code, self.field = status, message, code, field


def json_depth(body: bytes) -> int:
    """How deep a JSON text nests arrays and objects (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_JSON_STRING.sub(b"", body)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    # a body with fewer brackets than the limit cannot nest deeper: most bodies end here at C speed
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    return json_depth(body) > limit


def _check_path(path: str) -> None:
    if "\x00" in path:
        raise InputRefused(404, _("No such address."), "not_found")
    if any(_TOO_MANY_DIGITS.fullmatch(part) for part in path.split("/")):
        raise InputRefused(404, _("No such address."), "not_found")


def _check_fields(items) -> None:
    for name, values in items:
        for value in [name, *values]:
            if "\x00" in value:
                raise InputRefused(
                    400,
                    _("The parameter %(name)s contains a NUL character.") % {"name": name.replace("\x00", "")},
                    "nul_character",
                    field=name.replace("\x00", ""),
                )
            if _TOO_MANY_DIGITS.fullmatch(value.strip()):
                raise InputRefused(
                    400,
                    _("The parameter %(name)s is a number out of range (at most %(digits)d digits).")
                    % {"name": name, "digits": MAX_DIGITS},
                    "out_of_range",
                    field=name,
                )


def _check_body(request) -> None:
    content_type = request.content_type or ""
    if request.method in ("GET", "HEAD", "OPTIONS") or content_type.startswith("multipart/"):
        return  # uploads are read by the view's own handlers, never here
    try:
        body = request.body
        if content_type == "application/x-www-form-urlencoded":
            _check_fields(request.POST.lists())
    except (RequestDataTooBig, TooManyFieldsSent):
        return  # the view answers these itself (413 / 400 with its own message)
    if too_deep(body):
        raise InputRefused(
            400,
            _("The request body is nested too deeply (at most %(depth)d levels).") % {"depth": MAX_JSON_DEPTH},
            "too_deep",
        )


def refusal(request, status: int, message: str, code: str, field: str = "") -> HttpResponse:
    """An error answer in the format the caller reads at this path."""
    path = request.path
    if path.startswith(OPEN311_PREFIX):
        if path.endswith(".xml"):
            body = (
                f'<?xml version="1.0" encoding="utf-8"?><errors><error><code>{status}</code>'
                f"<description>{escape(message)}</description></error></errors>"
            )
            return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
        return JsonResponse(
            [{"code": status, "description": message}],
            safe=False,
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    if path.startswith(API_PREFIXES):
        body = {"detail": message, "code": code}
        if field:  # like the API's own 400s: the parameter's name with its messages
            body[field] = [message]
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    template = "404.html" if status == 404 else "400.html"
    return HttpResponse(render_to_string(template, {"message": message}, request=request), status=status)


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            _check_path(request.path)
            _check_fields(request.GET.lists())
            _check_body(request)
        except InputRefused as refused:
            return refusal(request, refused.status, refused.message, refused.code, refused.field)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DataError):
            logger.warning("input the database refused on %s %s: %s", request.method, request.path, exception)
            return refusal(request, 400, _("A value in the request cannot be stored or searched for."), "bad_value")
        if isinstance(exception, RecursionError):
            logger.warning("input nested too deeply on %s %s", request.method, request.path)
            return refusal(request, 400, _("The request is nested too deeply."), "too_deep")
        return None
