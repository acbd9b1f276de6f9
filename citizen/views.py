"""The citizen's pages (/m/): report, follow, rate, the public record and its feeds; no login [issue 16].

A phone proves itself with a one-time code; the browser's session then remembers it for 30 minutes
(`citizen_phone`). One request can also be followed by its number and the last four digits of the
phone (`citizen_numbers`), read-only. Staff see businesses' requests at /m/center/business/ [PUB-4].
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from citizen import selectors, services
from citizen.forms import NumberForm, PhoneForm, RateForm, ReportForm, VerifyForm
from citizen.services import CitizenError
from core.photos import PhotoRejected, clean_photos
from core.security import client_ip
from dispatch import policy
from dispatch.exceptions import IdempotencyConflict
from grid.models import Area

SESSION_PHONE = "citizen_phone"
SESSION_NUMBERS = "citizen_numbers"


def _ip(request) -> str:
    return client_ip(request) or "unknown"


def verified_phone(request) -> str | None:
    held = request.session.get(SESSION_PHONE)
    if not held:
        return None
    try:
        until = dt.datetime.fromisoformat(held["until"])
    except (KeyError, TypeError, ValueError):
        return None
    return held.get("phone") if until > timezone.now() else None


def remember_phone(request, phone: str) -> None:
    request.session.cycle_key()  # a new session id once the phone is proved
    request.session[SESSION_PHONE] = {
        "phone": phone,
        "until": (timezone.now() + services.VERIFIED_FOR).isoformat(),
    }


def _error(request, err: CitizenError, template: str, context: dict):
    resp = render(request, template, {**context, "error": err.message}, status=err.status)
    if err.retry_after:
        resp["Retry-After"] = str(err.retry_after)
    return resp


def city_bounds() -> list[list[float]] | None:
    city = Area.objects.filter(level="city", valid_to__isnull=True).only("geom").first()
    if city is None:
        return None
    west, south, east, north = city.geom.extent
    return [[south, west], [north, east]]


# -- report -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def report(request):
    """[IN-1] 随手拍: describe, place, photograph, prove the phone, send."""
    phone = verified_phone(request)
    context = {"bounds": city_bounds(), "verified": phone}
    if request.method == "GET":
        form = ReportForm(initial={"idempotency_key": uuid.uuid4().hex, "phone": phone or ""})
        return render(request, "citizen/report.html", {**context, "form": form})
    form = ReportForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "citizen/report.html", context, status=400)
    d = form.cleaned_data
    try:
        number = services.normalize_phone(d["phone"])
        if phone != number:
            if not d.get("code"):
                raise CitizenError(_("Ask for a code by SMS and type it in."), field="code")
            phone = services.verify_code(phone=number, code=d["code"])
            remember_phone(request, phone)
            context["verified"] = phone
        photos = clean_photos(request.FILES.getlist("photos"))
        result = services.submit_report(
            report=services.Report(
                description=d["description"],
                phone=phone,
                name=d["name"],
                kind=d["kind"],
                address=d["address"],
                lon=d.get("lon"),
                lat=d.get("lat"),
                public=d["public"],
                is_business=d["is_business"],
                business_name=d["business_name"],
                credit_code=d["credit_code"],
            ),
            photos=photos,
            ip=_ip(request),
            idempotency_key=d.get("idempotency_key") or request.headers.get("Idempotency-Key", ""),
        )
    except CitizenError as e:
        if e.field and e.field in form.fields:
            form.add_error(e.field, e.message)
            return render(request, "citizen/report.html", context, status=e.status)
        return _error(request, e, "citizen/report.html", context)
    except PhotoRejected as e:
        form.add_error("photos", e.messages)
        return render(request, "citizen/report.html", context, status=400)
    except IdempotencyConflict:
        form.add_error(None, _("This form was already sent with other content. Reload the page to file a new request."))
        return render(request, "citizen/report.html", context, status=409)
    return redirect("citizen:request", number=result.ticket.number)


@require_POST
def send_code(request):
    """A one-time code to the phone (JSON for the page's script; a page for a browser without it)."""
    form = PhoneForm(request.POST)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not form.is_valid():
        message = _("Enter an 11-digit mobile phone number.")
        return (
            JsonResponse({"ok": False, "detail": message}, status=400)
            if wants_json
            else HttpResponse(message, status=400)
        )
    try:
        services.send_code(phone=form.cleaned_data["phone"], ip=_ip(request))
    except CitizenError as e:
        resp = (
            JsonResponse({"ok": False, "detail": e.message}, status=e.status)
            if wants_json
            else HttpResponse(e.message, status=e.status)
        )
        if e.retry_after:
            resp["Retry-After"] = str(e.retry_after)
        return resp
    message = _("A code was sent by SMS. It is valid for 5 minutes.")
    return JsonResponse({"ok": True, "detail": message}) if wants_json else HttpResponse(message)


# -- follow -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def track(request):
    """[PUB-2] Find one's requests: by number and the last four digits, or all of them by a code."""
    number_form = NumberForm(prefix="n", initial={"number": request.GET.get("number", "")})
    verify_form = VerifyForm(prefix="v")
    context = {"number_form": number_form, "verify_form": verify_form}
    if request.method == "POST":
        try:
            if "n-number" in request.POST:
                number_form = context["number_form"] = NumberForm(request.POST, prefix="n")
                if not number_form.is_valid():
                    return render(request, "citizen/track.html", context, status=400)
                services.check_limit("lookup_ip_hour", _ip(request))
                number = number_form.cleaned_data["number"].strip().upper()
                services.check_limit("lookup_number_hour", number)
                ticket = selectors.find_by_number(number)
                if ticket is None or not policy.caller_may_follow_by_number(ticket, number_form.cleaned_data["last4"]):
                    number_form.add_error(None, _("No request has this number with these last four digits."))
                    return render(request, "citizen/track.html", context, status=404)
                granted = [n for n in request.session.get(SESSION_NUMBERS, []) if n != ticket.number][-9:]
                request.session[SESSION_NUMBERS] = [*granted, ticket.number]
                return redirect("citizen:request", number=ticket.number)
            verify_form = context["verify_form"] = VerifyForm(request.POST, prefix="v")
            if not verify_form.is_valid():
                return render(request, "citizen/track.html", context, status=400)
            phone = services.verify_code(phone=verify_form.cleaned_data["phone"], code=verify_form.cleaned_data["code"])
            remember_phone(request, phone)
            return redirect("citizen:mine")
        except CitizenError as e:
            return _error(request, e, "citizen/track.html", context)
    return render(request, "citizen/track.html", context)


@require_GET
def mine(request):
    """[PUB-2] "My requests": every request from the verified phone."""
    phone = verified_phone(request)
    if phone is None:
        return redirect("citizen:track")
    return render(request, "citizen/mine.html", {"tickets": selectors.my_requests(phone), "phone_tail": phone[-4:]})


def _visible(request, number: str):
    """The request if this browser may follow it (its phone verified, or its number with the last 4)."""
    ticket = selectors.find_by_number(number)
    if ticket is None:
        return None, None
    phone = verified_phone(request)
    if policy.caller_owns(ticket, phone) or ticket.number in request.session.get(SESSION_NUMBERS, []):
        return ticket, phone
    return None, phone


@require_GET
def request_page(request, number: str):
    """[PUB-2] One request's timeline in plain words; the rating form once the reply is accepted [CB-1]."""
    ticket, phone = _visible(request, number)
    if ticket is None:
        return redirect(f"{reverse('citizen:track')}?number={number}")
    return render(request, "citizen/request.html", {"f": selectors.follow(ticket, phone=phone), "form": RateForm()})


@require_POST
def rate(request, number: str):
    """[CB-1][CB-2] The caller's rating of the accepted reply; unsatisfied → rework [SLA-4]."""
    ticket, phone = _visible(request, number)
    if ticket is None:
        return redirect(f"{reverse('citizen:track')}?number={number}")
    form = RateForm(request.POST)
    if not form.is_valid():
        f = selectors.follow(ticket, phone=phone)
        return render(request, "citizen/request.html", {"f": f, "form": form}, status=400)
    try:
        services.rate(
            ticket=ticket,
            phone=phone,
            satisfaction=form.cleaned_data["satisfaction"],
            comment=form.cleaned_data["comment"],
        )
    except CitizenError as e:
        f = selectors.follow(ticket, phone=phone)
        return _error(request, e, "citizen/request.html", {"f": f, "form": form})
    return redirect("citizen:request", number=ticket.number)


# -- the public record --------------------------------------------------------------------------


def _counties() -> list[Area]:
    return list(Area.objects.filter(level="county", valid_to__isnull=True).only("code", "name").order_by("code"))


def _public_context(request):
    try:
        q = selectors.parse_query(request.GET)
    except selectors.BadQuery as e:
        return None, str(e)
    return q, ""


@require_GET
def public_list(request):
    """[PUB-1][PUB-3] Closed public cases by category, area and month, redacted."""
    q, error = _public_context(request)
    last_month = f"{timezone.localdate().replace(day=1) - dt.timedelta(days=1):%Y-%m}"
    context = {
        "counties": _counties(),
        "categories": selectors.category_choices(),
        "error": error,
        "ranking_month": last_month,
    }
    if q is None:
        return render(request, "citizen/public.html", context, status=400)
    cases, paginator, page = selectors.public_cases(q)
    ranking_month = q.month or last_month
    return render(
        request,
        "citizen/public.html",
        {
            **context,
            "q": q,
            "cases": cases,
            "page": page,
            "pages": paginator.num_pages,
            "count": min(paginator.count, selectors.COUNT_CAP),
            "capped": paginator.capped,
            "ranking_month": ranking_month,
        },
    )


@require_GET
def public_map(request):
    """The public record on our own base map (points rounded to about 100 m)."""
    q, error = _public_context(request)
    if q is None:
        return render(request, "citizen/public_map.html", {"error": error, "counties": _counties()}, status=400)
    return render(request, "citizen/public_map.html", {"q": q, "bounds": city_bounds(), "counties": _counties()})


@require_GET
def public_cases_api(request):
    """GET /api/public/cases?area=&month=&category=&page=&size= — the public record as JSON, paged."""
    try:
        q = selectors.parse_query(request.GET)
    except selectors.BadQuery as e:
        return JsonResponse({"code": "invalid", "detail": str(e)}, status=400)
    cases, paginator, page = selectors.public_cases(q)
    resp = JsonResponse(
        {
            "count": min(paginator.count, selectors.COUNT_CAP),
            "count_capped": paginator.capped,
            "page": page,
            "pages": paginator.num_pages,
            "size": q.size,
            "results": [c.as_json() for c in cases],
        },
        json_dumps_params={"ensure_ascii": False},
    )
    resp["Cache-Control"] = "public, max-age=60"
    return resp


class AreaFeed(Feed):
    """[PUB-3] RSS of one county's or township's newest public cases, for media partners."""

    feed_type = Rss201rev2Feed

    def get_object(self, request, area: str):
        if not selectors.AREA_RE.match(area):
            raise Http404(_("No such area."))
        found = Area.objects.filter(code=area, valid_to__isnull=True).only("code", "name").first()
        if found is None:
            raise Http404(_("No such area."))
        return found

    def title(self, obj):
        return _("12345 public record: %(area)s") % {"area": obj.name}

    def link(self, obj):
        return f"{reverse('citizen:public')}?area={obj.code}"

    def description(self, obj):
        return _(
            "Closed requests the citizens of %(area)s chose to make public, with the reply; personal data removed."
        ) % {"area": obj.name}

    def items(self, obj):
        cases, _p, _n = selectors.public_cases(selectors.PublicQuery(area=obj.code, size=50), count=False)
        return cases

    def item_title(self, item):
        return f"{item.category or pgettext('citizen', 'Request')} · {item.place} · {item.number}"

    def item_description(self, item):
        return f"{pgettext('citizen', 'Request')}: {item.request}\n{_('Reply')}: {item.reply}"

    def item_link(self, item):
        return f"{reverse('citizen:public')}?area={item.township_code or item.county_code}&month={item.month}#{item.number}"

    def item_guid(self, item):
        return item.number

    item_guid_is_permalink = False


public_feed = AreaFeed()


# -- the center's list of businesses' requests [PUB-4] ----------------------------------------------


@login_required
@require_GET
def business_requests(request):
    if not policy.may_see_business_requests(request.user):
        raise PermissionDenied(_("Only the center's staff see businesses' requests."))
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    return render(request, "citizen/business.html", {"page_obj": selectors.business_requests(request.user, page=page)})
