"""Open311 errors, in the GeoReport v2 format and the request's format, whoever answers.

The spec's error is a list: ``[{"code": 404, "description": "..."}]`` for .json and
``<errors><error><code>404</code><description>...</description></error></errors>`` for .xml
(http://wiki.open311.org/GeoReport_v2#Errors). Every answer under /open311/ that is not a 2xx takes
this form (issue 18): the views' own refusals, an unknown path (the catch-all route), a wrong method
(405 with Allow), a form too large (413) or with too many fields (400), an idempotency conflict (409),
a database outage (503 with Retry-After) and a bug (500). ``respond`` is the one place that writes it;
core.errors asks it (through ``core.errors.register_error_format``) when Django itself answers for a
path here (handler400/404/500), and so may any middleware that refuses input before a view runs.

Descriptions are plain text for a person: never a Python repr (``{0: [ErrorDetail(...)]}``);
``plain_text`` flattens what a validator raised.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from django.http import HttpResponse
from django.utils.encoding import force_str

from core.exports import xml_safe

PREFIX = "/open311/"


def fmt_of(path: str) -> str:
    """The format the caller reads: the path's extension (.xml), else JSON (the spec's default)."""
    return "xml" if path.lower().endswith(".xml") else "json"


def error_body(code: int, description: str, fmt: str) -> tuple[bytes, str]:
    if fmt == "xml":
        root = ET.Element("errors")
        item = ET.SubElement(root, "error")
        ET.SubElement(item, "code").text = str(code)
        ET.SubElement(item, "description").text = xml_safe(description)
        body = '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="unicode")
        return body.encode(), "text/xml; charset=utf-8"
    body = json.dumps([{"code": code, "description": description}], ensure_ascii=False)
    return body.encode(), "application/json"


def error(code: int, description: str, fmt: str, *, headers: dict[str, str] | None = None) -> HttpResponse:
    body, content_type = error_body(code, description, fmt)
    response = HttpResponse(body, status=code, content_type=content_type)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def respond(request, status: int, message: str, code: str = "", *, headers: dict[str, str] | None = None):
    """An Open311 error for this request, in the format of its path (the signature of
    core.errors.register_error_format's formatters: ``code`` is the API's machine code, unused here)."""
    return error(status, plain_text(message), fmt_of(request.path), headers=headers)


def plain_text(detail) -> str:
    """A validator's errors as one line a person reads: ``field: message; field: message``.

    Accepts what DRF and Django raise (a string, ErrorDetail, lists, dicts keyed by field or by index).
    """
    if isinstance(detail, dict):
        parts = []
        for key, value in detail.items():
            text = plain_text(value)
            parts.append(text if isinstance(key, int) or key in ("non_field_errors", "__all__") else f"{key}: {text}")
        return "; ".join(p for p in parts if p)
    if isinstance(detail, list | tuple):
        return " ".join(plain_text(v) for v in detail if v not in (None, ""))
    return force_str(detail)
