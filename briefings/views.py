"""The weekly, monthly and annual briefing pages: /briefings/ and /briefings/<period>/ [AN-1][AN-2][AR-4].

Why here and not in dispatch: a briefing puts dispatch's figures
(briefings.figures) next to the maps' hotspots and their maps, and dispatch
must not import maps. So the page that combines the two is a face on top, like
the wall: it asks dispatch for the figures, finds the hotspots itself, and hands
them to dispatch's exports as plain data (BriefingHotspot).

Who may read a briefing: the center roles (dispatch.policy.may_read_briefings) for
any area their office answers for (the city center: the whole city), and the
heads of the units below — a township service center's handlers and a
workstation's head — for their own area. Everyone else gets a 403.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from briefings.annual import DIFFICULT_MIN_TROUBLED, TYPICAL_CASES, compute_annual, year_honours
from briefings.exports import ANNUAL_CHARTS, CHARTS, XLSX, briefing_pdf, briefing_xlsx, chart_png
from briefings.figures import Briefing, BriefingHotspot, compute_briefing
from briefings.periods import BadPeriod, Period, parse_period, recent_periods
from core.dbrouter import read_connection
from dispatch import policy
from dispatch.models import Status
from grid.models import Area, Level
from maps.hotspots import find_hotspots, name_place, township_names
from maps.models import Hotspot
from maps.selectors import home_area, scoped

if TYPE_CHECKING:
    from grid.models import User

TOP_HOTSPOTS = 8
CACHE_SECONDS = 300  # besides the data stamp: repeat links and callbacks may land without a new event id


def briefing_home(user: User) -> Area:
    """The widest area the user may read briefings of; PermissionDenied for everyone else."""
    if not policy.may_read_briefings(user):
        raise PermissionDenied(_("Briefings are for the command center and the heads of units."))
    area = home_area(user)
    if area is None:
        raise Http404(_("No boundaries are loaded."))
    return area


def _within(area: Area, home: Area) -> bool:
    node, hops = area, 0
    while node is not None and hops < 5:
        if node.code == home.code:
            return True
        node, hops = node.parent, hops + 1
    return False


def briefing_area(user: User, code: str | None) -> Area:
    """The area asked for (the user's own by default), if it is theirs or lies inside it."""
    home = briefing_home(user)
    if not code:
        return home
    area = Area.objects.current().select_related("parent__parent__parent").filter(code=code).first()
    if area is None:
        raise Http404(_("No current area has code %(code)s.") % {"code": code})
    if home.level != Level.CITY and not _within(area, home):
        raise PermissionDenied(_("%(area)s is outside your own area.") % {"area": area.name})
    return area


def _stamp() -> str:
    with read_connection().cursor() as cur:
        cur.execute("SELECT (SELECT max(id) FROM dispatch_ticket), (SELECT max(id) FROM dispatch_ticketevent)")
        return hashlib.sha1(repr(cur.fetchone()).encode()).hexdigest()[:16]


def year_hotspots(area: Area, period: Period) -> list[BriefingHotspot]:
    """A year's biggest hotspots in the area: the register's entries alive during the year, by their peak
    [AN-1]. A hotspot is "at least N tickets within R metres in D days" (D a week or a month): stretching
    D to a year, as a week's or a month's briefing stretches it to its period, would join a year of
    tickets into one blob per street (on 2M tickets a year: 29,000 clusters in 17 s). The register holds
    what the supervisor found with each category's own window as the year went by."""
    start, end = period.bounds()
    qs = Hotspot.objects.filter(first_at__lt=end, last_at__gte=start).select_related("category")
    if area.level == Level.COUNTY:
        qs = qs.filter(county_code=area.code)
    elif area.level != Level.CITY:
        qs = qs.filter(township_code=area.code)
    entries = list(qs.order_by("-peak_count", "-ticket_count", "id")[:TOP_HOTSPOTS])
    names = township_names({h.township_code for h in entries if h.township_code})
    query = urlencode({"from": period.start.isoformat(), "to": period.end.isoformat(), "download": "0"})
    return [
        BriefingHotspot(
            label=h.label,
            category=h.category.name,
            township=names.get(h.township_code, ""),
            township_code=h.township_code,
            count=h.peak_count,
            first_at=h.first_at,
            last_at=h.last_at,
            hull_wkt=h.hull.wkt,
            centroid=(h.centroid.x, h.centroid.y),
            map_url=f"{reverse('maps-report', args=[h.township_code or area.code])}?{query}",
        )
        for h in entries
    ]


def period_hotspots(user: User, area: Area, period: Period, *, now) -> list[BriefingHotspot]:
    """The period's biggest hotspots in the area (the maps' rules, the window stretched to the period),
    each with its township's offline map of the period [AN-3]. A year's come from the register."""
    if period.kind == "year":
        return year_hotspots(area, period)
    start, end = period.bounds()
    found = find_hotspots(scoped(user, area), now=min(now, end), days=period.days, with_places=False)[:TOP_HOTSPOTS]
    out = []
    for f in found:
        name_place(f)
        c = f.cluster
        map_area = c.township_code or area.code
        query = urlencode({"from": period.start.isoformat(), "to": period.end.isoformat(), "download": "0"})
        out.append(
            BriefingHotspot(
                label=f.label,
                category=c.category_name,
                township=f.township_name,
                township_code=c.township_code,
                count=c.count,
                first_at=c.first_at,
                last_at=c.last_at,
                hull_wkt=c.hull_wkt,
                centroid=c.centroid,
                map_url=f"{reverse('maps-report', args=[map_area])}?{query}",
            )
        )
    return out


def build_briefing(user: User, area: Area, period: Period) -> Briefing:
    """The briefing of the area and period with its hotspots, cached until the tickets change.

    The figures depend only on the area (every user allowed to read it sees all of its tickets),
    so one cached copy serves every reader."""
    # A year is recomputed at most every CACHE_SECONDS, not on each new ticket (seconds of SQL on a
    # city's year of millions; the page says when it was made). Weeks and months follow the data.
    stamp = "" if period.kind == "year" else _stamp()
    key = f"briefing:{period.code}:{area.code}:{translation.get_language()}:{stamp}"
    found = cache.get(key)
    if found is not None:
        return found
    now = timezone.now()
    # The figures depend only on the area: its volume and category shares come from the rollups.
    rollup_area = {Level.CITY: "", Level.COUNTY: area.code, Level.TOWNSHIP: area.code}.get(area.level)
    b = compute_briefing(
        scoped(user, area), period, area_code=area.code, area_name=area.name, now=now, rollup_area=rollup_area
    )
    b.hotspots = period_hotspots(user, area, period, now=now)
    if period.kind == "year":
        b.annual = compute_annual(
            scoped(user, area).exclude(status=Status.REFUSED),
            period,
            rollup_area=rollup_area,
            tz=settings.TIME_ZONE,
        )
    cache.set(key, b, CACHE_SECONDS)
    return b


def with_honours(user: User, b: Briefing) -> Briefing:
    """A year's briefing with the year's honours and the ranking's link [AR-4], for the roles that may
    read the assessment (the others see the briefing without them, as they cannot open the ranking)."""
    if b.annual is None or not policy.may_read_assessment(user):
        return b
    year = b.period.year
    key = f"briefing-honours:{year}:{translation.get_language()}:{_stamp()}"
    honours = cache.get(key)
    if honours is None:
        honours = year_honours(year, today=timezone.localdate())
        cache.set(key, honours, CACHE_SECONDS)
    # A new object: the briefing's own may be the one just put in the shared cache's process memory.
    b.annual = dataclasses.replace(b.annual, honours=honours, assessment_url=reverse("assessment-year", args=[year]))
    return b


class _PeriodError(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message, self.status = message, status


def _period(text: str) -> Period:
    """The period asked for: 400 when the text is not a period, 404 when it has not begun."""
    try:
        period = parse_period(text)
    except BadPeriod as exc:
        raise _PeriodError(str(exc), 400) from None
    if period.start > timezone.localdate():
        raise _PeriodError(_("%(period)s has not begun yet.") % {"period": period.code}, 404)
    return period


def _period_error(request: HttpRequest, exc: _PeriodError) -> HttpResponse:
    return render(request, "briefings/error.html", {"message": exc.message}, status=exc.status)


def _title(b: Briefing) -> str:
    kind = {"week": _("Weekly briefing"), "month": _("Monthly briefing"), "year": _("Annual briefing")}[b.period.kind]
    return _("%(area)s 12345 hotline %(kind)s · %(period)s") % {
        "area": b.area_name,
        "kind": kind,
        "period": b.period.label,
    }


@login_required
def briefing_index(request: HttpRequest) -> HttpResponse:
    """Recent weeks, months and years, and the areas the user may choose."""
    area = briefing_area(request.user, request.GET.get("area"))
    home = briefing_home(request.user)
    choices = [home]
    if home.level in (Level.CITY, Level.COUNTY):
        choices += list(Area.objects.current().filter(parent=home).order_by("code"))
    return render(
        request,
        "briefings/index.html",
        {
            "area": area,
            "choices": choices,
            "weeks": recent_periods("week", 8),
            "months": recent_periods("month", 6),
            "years": recent_periods("year", 3),
            "area_query": "" if area.code == home.code else f"?{urlencode({'area': area.code})}",
        },
    )


@login_required
def briefing_page(request: HttpRequest, period: str) -> HttpResponse:
    """The briefing as a page; ?format=pdf or xlsx downloads it; ?area= narrows it."""
    area = briefing_area(request.user, request.GET.get("area"))
    try:
        p = _period(period)
    except _PeriodError as exc:
        return _period_error(request, exc)
    fmt = request.GET.get("format", "")
    if fmt not in ("", "pdf", "xlsx"):
        return HttpResponseBadRequest(_("Unknown format %(fmt)s: use pdf or xlsx.") % {"fmt": fmt})
    if fmt:
        # The documents go to the city's leaders: always in Chinese, whatever the reader's UI language.
        with translation.override("zh-hans"):
            b = with_honours(request.user, build_briefing(request.user, area, p))
            title = _title(b)
            name = f"briefing-{p.code}-{area.code}"
            if fmt == "pdf":
                response = HttpResponse(briefing_pdf(b, title=title, area=area), content_type="application/pdf")
            else:
                response = HttpResponse(briefing_xlsx(b, title=title), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response
    b = with_honours(request.user, build_briefing(request.user, area, p))
    area_query = {"area": area.code} if request.GET.get("area") else {}
    return render(
        request,
        "briefings/page.html",
        {
            "b": b,
            "title": _title(b),
            "area": area,
            "previous": p.previous(),
            "next": p.next() if p.next().start <= timezone.localdate() else None,
            "q": f"?{urlencode(area_query)}" if area_query else "",
            "difficult_min": DIFFICULT_MIN_TROUBLED,
            "typical_count": TYPICAL_CASES,
            "qa": f"&{urlencode(area_query)}" if area_query else "",
            "charts": {
                name: reverse("briefing-chart", args=[p.code, name])
                + (f"?{urlencode(area_query)}" if area_query else "")
                for name in CHARTS + (ANNUAL_CHARTS if p.kind == "year" else ())
            },
            "map_url": f"{reverse('maps-report', args=[area.code])}?"
            + urlencode(
                {"from": p.start.isoformat(), "to": min(p.end, timezone.localdate()).isoformat(), "download": "0"}
            ),
        },
    )


@login_required
def briefing_chart(request: HttpRequest, period: str, name: str) -> HttpResponse:
    """One chart of the briefing as a PNG (the same image the PDF embeds)."""
    if name not in CHARTS + ANNUAL_CHARTS:
        raise Http404(_("No chart %(name)s.") % {"name": name})
    area = briefing_area(request.user, request.GET.get("area"))
    try:
        p = _period(period)
    except _PeriodError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    if name in ANNUAL_CHARTS and p.kind != "year":
        raise Http404(_("No chart %(name)s.") % {"name": name})
    b = build_briefing(request.user, area, p)
    response = HttpResponse(chart_png(name, b, area), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


urlpatterns = [
    path("", briefing_index, name="briefings"),
    path("<str:period>/", briefing_page, name="briefing"),
    path("<str:period>/chart/<str:name>.png", briefing_chart, name="briefing-chart"),
]
