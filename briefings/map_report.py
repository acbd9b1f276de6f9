"""/maps/report/<area code>/: the briefing map of a period as one self-contained HTML file
(briefings.map), served under a Content-Security-Policy of its own. The URL stays under /maps/
(config.urls routes it here); the page belongs to the briefings."""

import datetime as dt
import re
import secrets

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from briefings.map import MAX_REPORT_DAYS, briefing_html
from core.security import tile_sources
from grid.models import Area


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
