"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

Services are the leaf categories; a service request is a ticket (its number is
the service_request_id). The caller never appears here [IN-2]. What a request shows depends
on who asks (open311.rows): its own client in full, anyone else the redacted text of a request
the caller made public, or summary fields. POST needs an api_key (Open311Key, managed in admin),
in the form or in the query string (real clients send either), and goes through the same intake
as the tickets API: idempotent on an Idempotency-Key header per key, refused with a 400 naming the
referral [IN-4]. A key whose partner registers its users by real name may leave the phone out
(Open311Key.caller_phone_required) [IN-2].
Every answer is JSON or XML by the path's extension, errors included (open311.errors): 400, 403,
404, 405, 409, 413, 429 (with Retry-After) when a key POSTs more than its requests per minute
(core.ratelimit, shared by all processes), 500 and 503. GET requests pages (page, page_size) with
X-Total-Count and Link headers, newest first (docs/SECURITY.md "Open311").
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from core import ratelimit
from core.api import DomainError
from core.exports import xml_safe
from dispatch.models import Category, Kind, Status, Ticket, Urgency
from dispatch.routing import routing_table
from dispatch.services import intake_ticket
from open311 import rows
from open311.errors import error, plain_text
from open311.models import Open311Key
from open311.serializers import PartnerIntakeSerializer

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
JURISDICTION = "410400"
# GET requests: pages of at most MAX_PAGE_SIZE; without page_size a page is as long as the old cap, so a
# client that does not page gets what it got before, and the Link header tells it there is more.
MAX_PAGE_SIZE = 1000
MAX_IDS = 1000
DEFAULT_WINDOW = dt.timedelta(days=90)


def attributes() -> list[dict]:
    """The attributes every service takes (attribute[urgency], attribute[kind]), in the request's language."""
    return [
        {
            "variable": True,
            "code": "urgency",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "",
            "order": 1,
            "description": _("Urgency"),
            "values": [{"key": u.value, "name": str(u.label)} for u in Urgency],
        },
        {
            "variable": True,
            "code": "kind",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "",
            "order": 2,
            "description": _("Kind of request"),
            "values": [{"key": k.value, "name": str(k.label)} for k in Kind],
        },
    ]


XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


class Open311Error(Exception):
    def __init__(self, code: int, description: str, *, headers: dict[str, str] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.headers = headers or {}


def _xml(tag: str, value) -> ET.Element:
    el = ET.Element(tag)
    if isinstance(value, dict):
        for k, v in value.items():
            el.append(_xml(k, v))
    elif isinstance(value, list):
        for item in value:
            el.append(_xml(XML_ITEMS.get(tag, "item"), item))
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        # never emit what XML cannot carry, whatever way the text came in [issue 18]
        el.text = xml_safe(value.isoformat() if isinstance(value, dt.datetime) else str(value))
    return el


def render(data, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        body = ET.tostring(_xml(root, data), encoding="unicode", xml_declaration=False)
        return HttpResponse(
            '<?xml version="1.0" encoding="utf-8"?>' + body, content_type="text/xml; charset=utf-8", status=status
        )
    return JsonResponse(data, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


@method_decorator(csrf_exempt, name="dispatch")  # clients authenticate by api_key, not by a session
class Open311View(View):
    """Dispatches to get_/post_ handlers and turns every refusal into the spec's error list."""

    root = "response"
    http_method_names = ["get", "post", "head", "options"]

    def dispatch(self, request, *args, fmt: str = "json", **kwargs):
        if fmt not in ("json", "xml"):
            return error(404, f"unknown format {fmt!r}: use .json or .xml", "json")
        allowed = ", ".join(m.upper() for m in ("get", "post") if hasattr(self, m))
        method = request.method.lower()
        if method == "options":
            return HttpResponse(status=204, headers={"Allow": f"{allowed}, OPTIONS"})
        handler = getattr(self, method, None) if method in self.http_method_names else None
        if handler is None:
            return error(
                405, f"method {request.method} not supported here: use {allowed}", fmt, headers={"Allow": allowed}
            )
        try:
            jurisdiction = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or ""
            if jurisdiction and jurisdiction != JURISDICTION:
                raise Open311Error(
                    404, f"jurisdiction_id {jurisdiction} not found: this endpoint serves {JURISDICTION}"
                )
            data = handler(request, *args, **kwargs)
        except Open311Error as exc:
            return error(exc.code, exc.description, fmt, headers=exc.headers)
        except DomainError as exc:  # a business rule's refusal: an idempotency conflict (409) …
            return error(exc.status_code, plain_text(exc.message), fmt)
        except RequestDataTooBig:
            return error(413, "the request body is too large", fmt)
        except (TooManyFieldsSent, TooManyFilesSent):
            return error(400, "the request has too many fields or files", fmt)
        if isinstance(data, HttpResponse):
            return data
        return render(data, fmt, root=self.root)


def unknown_path(request, rest: str = ""):
    """Any other path under /open311/v2/: a 404 in the spec's format (and never a CSRF page)."""
    return error(404, f"no such resource: {request.path}", "xml" if rest.lower().endswith(".xml") else "json")


unknown_path.csrf_exempt = True


def _service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.path,
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(category.keywords),
        "group": category.parent.name if category.parent_id else "",
    }


def _leaves():
    return Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent").order_by("code")


class DiscoveryView(Open311View):
    root = "discovery"

    def get(self, request):
        base = request.build_absolute_uri("/open311/v2/")
        return {
            "changeset": rows.iso(timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)),
            "contact": str(_("Pingdingshan 12345 citizen hotline (phone 12345)")),
            "key_service": "API keys are issued by the city command center",
            "endpoints": [
                {
                    "specification": SPEC_URL,
                    "url": base,
                    "changeset": rows.iso(timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)),
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        }


class ServicesView(Open311View):
    root = "services"

    def get(self, request):
        return [_service(c) for c in _leaves()]


class ServiceDefinitionView(Open311View):
    root = "service_definition"

    def get(self, request, code: str):
        if not _leaves().filter(code=code).exists():
            raise Open311Error(404, f"service_code {code} not found")
        return {"service_code": code, "attributes": attributes()}


def _parse_date(value: str, name: str) -> dt.datetime:
    parsed = None
    try:
        parsed = parse_datetime(value.replace(" ", "+")) if value else None
    except ValueError:  # well-formed but impossible (month 13, hour 25)
        pass
    if parsed is None:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
        except ValueError:
            raise Open311Error(400, f"{name} must be a W3C date-time such as 2026-11-21T08:00:00+08:00") from None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _api_key(request) -> str:
    """The api_key from the form or the query string (open311 1.1 and three 0.8 send it there)."""
    return (request.POST.get("api_key") if request.method == "POST" else "") or request.GET.get("api_key", "")


def _client(request) -> Open311Key | None:
    """The key a GET names, if any: a wrong one is refused, not ignored (the client would think it sees all)."""
    value = request.GET.get("api_key", "")
    if not value:
        return None
    key = Open311Key.objects.filter(key=value, is_active=True).first()
    if key is None:
        raise Open311Error(403, "api_key is not valid")
    return key


def _positive(request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1 or (maximum is not None and int(raw) > maximum):
        bound = f" and at most {maximum}" if maximum else ""
        raise Open311Error(400, f"{name} must be a whole number of at least 1{bound}")
    return int(raw)


def _paged(request, data: list, *, total: int, page: int, size: int, window: dict[str, str]) -> HttpResponse:
    """The page as the spec's bare list, the paging in headers (the body stays what every client reads)."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    response = render(data, fmt, root="service_requests")
    response["X-Total-Count"] = str(total)
    response["X-Page"], response["X-Page-Size"] = str(page), str(size)
    params = {k: v for k, v in request.GET.items() if k not in ("page", "page_size", *window)}
    links = []
    for rel, number in (("prev", page - 1), ("next", page + 1)):
        if 1 <= number and (number - 1) * size < total:
            query = urlencode({**params, **window, "page": number, "page_size": size})
            links.append(f'<{request.build_absolute_uri(request.path)}?{query}>; rel="{rel}"')
    if links:
        response["Link"] = ", ".join(links)
    return response


class RequestsView(Open311View):
    root = "service_requests"

    def get(self, request):
        key = _client(request)
        client = key.client if key else None
        qs = rows.visible_requests()
        ids = [i.strip() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
        if ids:
            if len(ids) > MAX_IDS:
                raise Open311Error(400, f"at most {MAX_IDS} service_request_id values at once")
            found = qs.filter(number__in=ids).order_by("-received_at", "-id")
            return [rows.request_row(t, rows.view_of(t, client)) for t in found]
        codes = [c.strip() for c in request.GET.get("service_code", "").split(",") if c.strip()]
        if codes:
            qs = qs.filter(category__code__in=codes)
        end = _parse_date(request.GET["end_date"], "end_date") if request.GET.get("end_date") else timezone.now()
        start = (
            _parse_date(request.GET["start_date"], "start_date")
            if request.GET.get("start_date")
            else end - DEFAULT_WINDOW
        )
        if start > end:
            raise Open311Error(400, "start_date must be before end_date")
        qs = qs.filter(received_at__gte=start, received_at__lte=end)
        statuses = {s.strip() for s in request.GET.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status must be open or closed")
        if statuses == {"open"}:
            qs = qs.exclude(status__in=rows.CLOSED)
        elif statuses == {"closed"}:
            qs = qs.filter(status__in=rows.CLOSED)
        size = _positive(request, "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)
        page = _positive(request, "page", 1)
        total = qs.count()
        # newest first, ties by id: the same order on every page. The window goes into the Link with its
        # end fixed, so requests arriving while a client pages do not shift the pages it has not read.
        found = qs.order_by("-received_at", "-id")[(page - 1) * size : page * size] if (page - 1) * size < total else []
        data = [rows.request_row(t, rows.view_of(t, client)) for t in found]
        # to the microsecond: a window cut to the second would drop what came in during that second
        window = {"start_date": start.isoformat(), "end_date": end.isoformat()}
        return _paged(request, data, total=total, page=page, size=size, window=window)

    def post(self, request):
        p = request.POST
        value = _api_key(request)
        key = Open311Key.objects.filter(key=value, is_active=True).first() if value else None
        if key is None:
            raise Open311Error(403, "api_key was not provided or is not valid")
        verdict = ratelimit.hit(key.client, limit=key.effective_rate_limit)
        if not verdict.allowed:
            raise Open311Error(
                429,
                f"rate limit exceeded: this api_key may POST {verdict.limit} requests per minute; "
                f"retry after {verdict.retry_after} seconds",
                headers={"Retry-After": str(verdict.retry_after)},
            )
        code = p.get("service_code", "").strip()
        if not code:
            raise Open311Error(400, "service_code is required")
        if routing_table().category(code) is None:
            raise Open311Error(400, f"service_code {code} not found")
        has_point = p.get("lat", "").strip() and p.get("long", "").strip()
        if not (has_point or p.get("address_string", "").strip() or p.get("address_id", "").strip()):
            raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
        urgency = p.get("attribute[urgency]", Urgency.GENERAL) or Urgency.GENERAL
        kind = p.get("attribute[kind]", Kind.COMPLAINT) or Kind.COMPLAINT
        name = f"{p.get('last_name', '').strip()}{p.get('first_name', '').strip()}"
        phone = p.get("phone", "").strip()
        partner_holds = not key.caller_phone_required and not phone
        payload = {
            "channel": key.channel,
            "kind": kind,
            "urgency": urgency,
            "category": code,
            "description": p.get("description", ""),
            "address": p.get("address_string", "") or p.get("address_id", ""),
            "lon": p.get("long") if has_point else None,
            "lat": p.get("lat") if has_point else None,
            # Open311 clients may leave the name out; the phone is required for the callback [IN-2][CB-1]
            # unless the key's partner holds the caller's real name and phone (then recorded on the ticket)
            "caller_name": name or "Open311",
            "caller_phone": phone,
            "caller_email": p.get("email", ""),
            "attachments": [p["media_url"]] if p.get("media_url") else [],
        }
        s = PartnerIntakeSerializer(data=payload, context={"phone_optional": not key.caller_phone_required})
        if not s.is_valid():
            names = {"lon": "long", "category": "service_code", "caller_phone": "phone", "caller_email": "email"}
            names.update({"attachments": "media_url", "urgency": "attribute[urgency]", "kind": "attribute[kind]"})
            raise Open311Error(400, plain_text({names.get(f, f): m for f, m in s.errors.items()}))
        data = s.to_intake()
        data.extra = {rows.CLIENT_KEY: key.client}
        if partner_holds:
            data.extra[rows.REAL_NAME_KEY] = f"{key.name}: {key.real_name_duty}".strip(": ")
        idem = request.headers.get("Idempotency-Key", "").strip()[:100] or None
        result = intake_ticket(data=data, idempotency_key=idem, client=key.client)
        Open311Key.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        t = result.ticket
        if result.refused:
            raise Open311Error(400, f"not accepted ({t.get_refusal_reason_display()}): {t.referral}; record {t.number}")
        if t.resolve_by:
            deadline = timezone.localtime(t.resolve_by).strftime("%Y-%m-%d %H:%M")
            notice = _("To be resolved by %(deadline)s") % {"deadline": deadline}
        else:
            notice = _("Accepted; waiting to be dispatched")
        if t.status == Status.ARCHIVED and t.answer:
            notice = t.answer
        suggestion = (t.extra or {}).get("suggested_refusal")
        if suggestion:  # [IN-4] a person decides; the caller is told the referral now (an emergency: call 119)
            notice = _("%(referral)s (a person will review this request)") % {"referral": suggestion["referral"]}
        return [{"service_request_id": t.number, "token": str(t.token), "service_notice": notice, "account_id": None}]


class RequestView(Open311View):
    root = "service_requests"

    def get(self, request, request_id: str):
        key = _client(request)
        t = rows.visible_requests().filter(number=request_id).first()
        if t is None:
            raise Open311Error(404, f"service_request_id {request_id} not found")
        return [rows.request_row(t, rows.view_of(t, key.client if key else None))]


class TokenView(Open311View):
    root = "service_requests"

    def get(self, request, token: str):
        t = (
            Ticket.objects.exclude(status=Status.REFUSED).filter(token=token).only("number", "token").first()
            if _is_uuid(token)
            else None
        )
        if t is None:
            raise Open311Error(404, f"token {token} not found")
        return [{"service_request_id": t.number, "token": str(t.token)}]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
