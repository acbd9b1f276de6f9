"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

Services are the leaf categories; a service request is a ticket (its number is
the service_request_id). Requests are public except the caller, who never
appears here [IN-2]. POST needs an api_key (Open311Key, managed in admin), and
goes through the same intake as the tickets API: idempotent on an
Idempotency-Key header, refused with a 400 naming the referral [IN-4].
Every answer is JSON or XML by the path's extension; errors are
[{"code", "description"}] with 400, 403, 404, or 429 (with Retry-After) when a key
POSTs more than its requests per minute (core.ratelimit, shared by all processes).
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET

from django.db.models import Prefetch
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
from dispatch.models import Assignment, Category, Kind, Reply, Status, Ticket, Urgency
from dispatch.routing import routing_table
from dispatch.serializers import IntakeSerializer
from dispatch.services import intake_ticket
from open311.models import Open311Key

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
JURISDICTION = "410400"
MAX_REQUESTS = 1000
DEFAULT_WINDOW = dt.timedelta(days=90)
CLOSED = (Status.CLOSED, Status.CALLBACK_MANUAL, Status.ARCHIVED)


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


def error(code: int, description: str, fmt: str) -> HttpResponse:
    return render([{"code": code, "description": description}], fmt, root="errors", status=code)


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


class Open311View(View):
    """Dispatches to get_/post_ handlers and turns Open311Error into the spec's error list."""

    root = "response"

    def dispatch(self, request, *args, fmt: str = "json", **kwargs):
        if fmt not in ("json", "xml"):
            return error(404, f"unknown format {fmt!r}: use .json or .xml", "json")
        jurisdiction = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or ""
        if jurisdiction and jurisdiction != JURISDICTION:
            return error(404, f"jurisdiction_id {jurisdiction} not found: this endpoint serves {JURISDICTION}", fmt)
        handler = getattr(self, request.method.lower(), None)
        if handler is None:
            allowed = ", ".join(m.upper() for m in ("get", "post") if hasattr(self, m))
            response = error(405, f"method {request.method} not supported here: use {allowed}", fmt)
            response["Allow"] = allowed
            return response
        try:
            data = handler(request, *args, **kwargs)
        except Open311Error as exc:
            response = error(exc.code, exc.description, fmt)
            for name, value in exc.headers.items():
                response[name] = value
            return response
        except DomainError as exc:  # a business-rule refusal (e.g. an idempotency conflict, 409) in the spec's format
            return error(exc.status_code, exc.message, fmt)
        return render(data, fmt, root=self.root)


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
            "changeset": _iso(timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)),
            "contact": str(_("Pingdingshan 12345 citizen hotline (phone 12345)")),
            "key_service": "API keys are issued by the city command center",
            "endpoints": [
                {
                    "specification": SPEC_URL,
                    "url": base,
                    "changeset": _iso(timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)),
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


def _request_row(t: Ticket) -> dict:
    lead = next((a for a in t.assignments.all()), None)
    closed = t.status in CLOSED
    notes = ""
    if t.status == Status.ARCHIVED and t.answer:
        notes = t.answer
    elif closed:
        accepted = next(iter(t.replies.all()), None)
        notes = accepted.result if accepted else ""
    media = next((a.file.url if a.file else a.url for a in t.attachments.all()), None)
    return {
        "service_request_id": t.number,
        "status": "closed" if closed else "open",
        "status_notes": notes,
        "service_name": t.category.name if t.category_id else "",
        "service_code": t.category.code if t.category_id else "",
        "description": t.description,
        "agency_responsible": lead.office.name if lead else (t.center.name if t.center_id else ""),
        "service_notice": "",
        "requested_datetime": _iso(t.received_at),
        "updated_datetime": _iso(t.updated_at),
        "expected_datetime": _iso(t.resolve_by),
        "address": t.address or t.place_names,
        "address_id": "",
        "zipcode": "",
        "lat": t.point.y if t.point else None,
        "long": t.point.x if t.point else None,
        "media_url": media,
    }


def _public_requests():
    return (
        Ticket.objects.exclude(status=Status.REFUSED)
        .select_related("category", "center")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(is_active=True, role="lead").select_related("office"),
            ),
            Prefetch("replies", queryset=Reply.objects.filter(role="lead", review="accepted").order_by("-id")),
            "attachments",
        )
    )


def _parse_date(value: str, name: str) -> dt.datetime:
    parsed = parse_datetime(value.replace(" ", "+")) if value else None
    if parsed is None:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
        except ValueError:
            raise Open311Error(400, f"{name} must be a W3C date-time such as 2026-11-21T08:00:00+08:00") from None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


@method_decorator(csrf_exempt, name="dispatch")
class RequestsView(Open311View):
    root = "service_requests"

    def get(self, request):
        qs = _public_requests()
        ids = [i.strip() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
        if ids:
            return [_request_row(t) for t in qs.filter(number__in=ids[:MAX_REQUESTS]).order_by("-received_at")]
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
            qs = qs.exclude(status__in=CLOSED)
        elif statuses == {"closed"}:
            qs = qs.filter(status__in=CLOSED)
        return [_request_row(t) for t in qs.order_by("-received_at", "-id")[:MAX_REQUESTS]]

    def post(self, request):
        p = request.POST
        key = Open311Key.objects.filter(key=p.get("api_key", ""), is_active=True).first() if p.get("api_key") else None
        if key is None:
            raise Open311Error(403, "api_key was not provided or is not valid")
        verdict = ratelimit.hit(f"open311:{key.pk}", limit=key.effective_rate_limit)
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
            "caller_name": name or "Open311",
            "caller_phone": p.get("phone", ""),
            "caller_email": p.get("email", ""),
            "attachments": [p["media_url"]] if p.get("media_url") else [],
        }
        s = IntakeSerializer(data=payload)
        if not s.is_valid():
            names = {"lon": "long", "category": "service_code", "caller_phone": "phone", "caller_email": "email"}
            names.update({"attachments": "media_url", "urgency": "attribute[urgency]", "kind": "attribute[kind]"})
            described = "; ".join(
                f"{names.get(field, field)}: {' '.join(str(m) for m in (msgs if isinstance(msgs, list) else [msgs]))}"
                for field, msgs in s.errors.items()
            )
            raise Open311Error(400, described)
        idem = request.headers.get("Idempotency-Key", "").strip()[:100] or None
        result = intake_ticket(data=s.to_intake(), idempotency_key=idem, client=f"open311:{key.pk}")
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
        return [{"service_request_id": t.number, "token": str(t.token), "service_notice": notice, "account_id": None}]


class RequestView(Open311View):
    root = "service_requests"

    def get(self, request, request_id: str):
        t = _public_requests().filter(number=request_id).first()
        if t is None:
            raise Open311Error(404, f"service_request_id {request_id} not found")
        return [_request_row(t)]


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
