import datetime as dt
import re
import secrets

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.security import tile_sources
from dispatch.models import Status, Urgency
from dispatch.workflow import CENTER_ROLES
from grid.models import Area, Level

from . import selectors


def home(request):
    return render(request, "home.html")


def city_bounds() -> list[list[float]] | None:
    """[[south, west], [north, east]] of the current city boundary, for the first view."""
    city = Area.objects.current().filter(level=Level.CITY).only("geom").first()
    if city is None:
        return None
    west, south, east, north = city.geom.extent
    return [[south, west], [north, east]]


def grid_map(request):
    """The four levels as toggleable layers over a base map drawn from our own data."""
    return render(request, "maps/grid.html", {"bounds": city_bounds()})


# Short state names for a wall read from across the room.
SHORT_STATUS = {
    "refused": gettext_lazy("Not accepted"),
    "pending_dispatch": gettext_lazy("Awaiting dispatch"),
    "dispatched": gettext_lazy("Awaiting sign-for"),
    "in_progress": gettext_lazy("Being handled"),
    "return_requested": gettext_lazy("Return requested"),
    "replied": gettext_lazy("Replied"),
    "closed": gettext_lazy("Closed"),
    "callback_manual": gettext_lazy("Awaiting callback"),
    "archived": gettext_lazy("Completed"),
}


def _live_context(request) -> dict:
    """What a live map page starts from: the user's own area (its bounds, level and name)."""
    area = selectors.home_area(request.user)
    if area is None:
        raise Http404("no boundaries loaded")
    west, south, east, north = area.geom.extent
    office = request.user.office
    return {
        "home": {
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "bounds": [[south, west], [north, east]],
            "office": office.name if office else "",
            "parent": area.parent.code if area.parent_id else "",
        },
        "statuses": {s.value: str(SHORT_STATUS.get(s.value, s.label)) for s in Status},
        "urgencies": {u.value: u.label for u in Urgency},
    }


@login_required
def wall(request):
    """The command-center wall (1920×1080 or 3840×2160, dark): live points, counters, feed,
    categories, hotspots and the open/overdue choropleth, in the user's scope."""
    return render(request, "maps/wall.html", {**_live_context(request), "variant": "wall"})


@login_required
def live_map(request):
    """The same live map for a township desk or a grid worker's phone (light, responsive), in scope."""
    return render(request, "maps/live.html", {**_live_context(request), "variant": "desk"})


@login_required
def hotspot_register(request):
    """The hotspot register: new and growing hotspots for the center to open supervision cases on."""
    entries = selectors.register_for(request.user)
    can_open = getattr(getattr(request.user, "office", None), "kind", "") in ("city_center", "sub_center") and (
        getattr(request.user, "role", None) in CENTER_ROLES
    )
    return render(request, "maps/hotspots.html", {"entries": entries, "can_open": can_open})


def _parse_day(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    return dt.date.fromisoformat(value)


# The briefing map is one self-contained HTML file by design (saved and opened on a machine
# without a network), so Leaflet, its plugins and folium's start-up code are inline <script>
# and <style> blocks. Rather than weakening the site's policy, this one response gets a policy
# of its own: only the blocks folium wrote carry this response's nonce (a ticket's text is
# HTML-escaped in briefings.map, so it can never open a tag that would get one), and the page
# may load nothing and connect nowhere. Saved to disk it runs without any header at all.
_INLINE_BLOCK = re.compile(r"<(script|style)>")


def with_nonce(html: str, nonce: str) -> str:
    return _INLINE_BLOCK.sub(lambda m: f'<{m.group(1)} nonce="{nonce}">', html)


def briefing_policy(nonce: str) -> str:
    tiles = " ".join(tile_sources(settings.MAP_TILE_URL))
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'nonce-{nonce}'",
            f"style-src 'nonce-{nonce}'",
            f"img-src 'self' data: blob: {tiles}".strip(),
            "font-src data:",
            "connect-src 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'self'",  # a report page of this site may show it in a frame; no one else
        ]
    )


@login_required
def briefing_report(request, code: str):
    """/maps/report/<area code>/?from=&to= : the standalone folium map of a period, downloaded as
    one HTML file that opens offline (the weekly and monthly reports embed the same map)."""
    from briefings.map import MAX_REPORT_DAYS, briefing_html

    area = Area.objects.current().filter(code=code).first()
    if area is None:
        raise Http404(_("No current area has code %(code)s.") % {"code": code})
    today = timezone.localdate()
    try:
        end = _parse_day(request.GET.get("to"), today)
    except ValueError:
        return HttpResponseBadRequest(_("to: not a date (YYYY-MM-DD)."))
    try:
        start = _parse_day(request.GET.get("from"), end - dt.timedelta(days=6))
    except ValueError:
        return HttpResponseBadRequest(_("from: not a date (YYYY-MM-DD)."))
    if start > end:
        return HttpResponseBadRequest(_("from: must not be after to."))
    if (end - start).days + 1 > MAX_REPORT_DAYS:
        return HttpResponseBadRequest(_("from: a report covers at most %(days)s days.") % {"days": MAX_REPORT_DAYS})
    nonce = secrets.token_urlsafe(18)
    html = with_nonce(briefing_html(user=request.user, area=area, start=start, end=end), nonce)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = briefing_policy(nonce)
    if request.GET.get("download", "1") != "0":
        response["Content-Disposition"] = f'attachment; filename="map-{area.code}-{start:%Y%m%d}-{end:%Y%m%d}.html"'
    return response
