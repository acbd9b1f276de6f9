"""The briefing map: one standalone HTML file (folium) of an area's tickets over a
period — boundaries, a heatmap, the period's hotspots and a marker cluster of the
tickets — that opens offline: Leaflet and its plugins are inlined from
node_modules instead of folium's CDN links. The weekly and monthly reports embed
the same map (briefing_map / briefing_html) [AN-1][AN-3].
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
from functools import lru_cache
from pathlib import Path

import folium
from branca.element import Element
from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.db.models import F, Func
from django.utils import timezone
from django.utils.translation import gettext as _
from folium import plugins

from dispatch.models import Status
from grid.models import Area, Level, child_level
from maps.hotspots import find_hotspots
from maps.selectors import scoped

MAX_REPORT_DAYS = 92
MAX_MARKERS = 5000  # a period's tickets beyond this are in the heatmap, not as markers
ASSETS = {
    "css": [
        "leaflet/dist/leaflet.css",
        "leaflet.markercluster/dist/MarkerCluster.css",
        "leaflet.markercluster/dist/MarkerCluster.Default.css",
    ],
    "js": [
        "leaflet/dist/leaflet.js",
        "leaflet.markercluster/dist/leaflet.markercluster.js",
        "leaflet.heat/dist/leaflet-heat.js",
    ],
}


@lru_cache(maxsize=1)
def inline_assets() -> str:
    """<style> and <script> elements with Leaflet, markercluster and heat, images as data: URIs."""
    root = Path(settings.NODE_MODULES)
    parts = []
    for rel in ASSETS["css"]:
        css = (root / rel).read_text(encoding="utf-8")
        base = (root / rel).parent

        def data_uri(m: re.Match, base=base) -> str:
            path = base / m.group(1)
            if not path.exists():
                return "none"
            return f"url(data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()})"

        css = re.sub(r"url\((?!data:)['\"]?([^'\")]+)['\"]?\)", data_uri, css)
        parts.append(f"<style>/* {rel} */\n{css}\n</style>")
    for rel in ASSETS["js"]:
        js = (root / rel).read_text(encoding="utf-8").replace("</script", "<\\/script")
        parts.append(f"<script>/* {rel} */\n{js}\n</script>")
    return "\n".join(parts)


def _offline(element):
    """Drop folium's CDN links from an element (its assets come inlined instead)."""
    element.default_js = []
    element.default_css = []
    return element


class _Simplified(Func):
    function = "ST_SimplifyPreserveTopology"
    output_field = GeometryField(srid=4326)


def _boundaries(area: Area) -> dict:
    """The area and its children as GeoJSON, simplified for a light file."""
    level = child_level(area.level) if area.level != Level.COMMUNITY else None
    qs = Area.objects.current().filter(
        **({"parent__code": area.code, "level": level} if level else {"code": area.code})
    )
    tolerance = {Level.COUNTY: 0.0008, Level.TOWNSHIP: 0.0003, Level.COMMUNITY: 0.0001}.get(level or area.level, 0.001)
    features = []
    for a in qs.annotate(shape=_Simplified(F("geom"), tolerance)).only("code", "name"):
        features.append(
            {"type": "Feature", "geometry": json.loads(a.shape.json), "properties": {"name": a.name, "code": a.code}}
        )
    return {"type": "FeatureCollection", "features": features}


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[local midnight of start, local midnight after end)."""
    begin = timezone.make_aware(dt.datetime.combine(start, dt.time()))
    finish = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    return begin, finish


def briefing_map(*, user, area: Area, start: dt.date, end: dt.date) -> folium.Map:
    """The folium map of the tickets the user may see in the area over [start, end]."""
    begin, finish = period_bounds(start, end)
    days = min((end - start).days + 1, 90)
    tickets = (
        scoped(user, area)
        .filter(received_at__gte=begin, received_at__lt=finish, point__isnull=False)
        .exclude(status=Status.REFUSED)
        .select_related("category__parent")
        .order_by("-received_at")
    )
    west, south, east, north = area.geom.extent
    m = _offline(
        folium.Map(
            location=[(south + north) / 2, (west + east) / 2],
            tiles=None,
            zoom_start=10,
            control_scale=True,
        )
    )
    # Without a tile layer Leaflet knows no zoom range, which the marker cluster needs.
    m.options.update(min_zoom=6, max_zoom=18)
    m.get_root().header.add_child(Element(inline_assets()), name="inline_assets", index=0)
    m.get_root().header.add_child(
        Element(
            "<style>.leaflet-container{background:#eef2f6;font-family:'Noto Sans CJK SC',sans-serif}"
            ".briefing-title{font-family:'Noto Sans CJK SC','Noto Sans SC',sans-serif;position:absolute;z-index:1000;top:10px;left:50px;background:#fff;padding:6px 12px;"
            "border:1px solid #c5d0dc;border-radius:6px;font-size:15px;box-shadow:0 1px 4px rgba(0,0,0,.15)}"
            ".hotspot-label{font-size:12px}</style>"
        ),
        name="briefing_css",
    )
    m.fit_bounds([[south, west], [north, east]])

    folium.GeoJson(
        _boundaries(area),
        name=_("Boundaries"),
        style_function=lambda f: {"color": "#2f4b7c", "weight": 1.2, "fillColor": "#dfe7f2", "fillOpacity": 0.5},
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    ).add_to(m)

    points = [(t.point.y, t.point.x) for t in tickets[:200_000]]
    if points:
        _offline(plugins.HeatMap(points, name=_("Heatmap"), radius=14, blur=18, min_opacity=0.3)).add_to(m)

    found = find_hotspots(scoped(user, area), now=finish, days=days)
    hotspot_group = folium.FeatureGroup(name=_("Hotspots")).add_to(m)
    for f in found:
        c = f.cluster
        folium.GeoJson(
            {"type": "Feature", "geometry": json.loads(_wkt_json(c.hull_wkt)), "properties": {}},
            style_function=lambda _f: {"color": "#d4380d", "weight": 2.5, "fillColor": "#ff7a45", "fillOpacity": 0.3},
            tooltip=folium.Tooltip(html.escape(f.label), permanent=True, class_name="hotspot-label"),
        ).add_to(hotspot_group)

    marker_data = [
        [
            t.point.y,
            t.point.x,
            f"{html.escape(t.number)}<br>{html.escape(t.category.path if t.category_id else '')}"
            f"<br>{html.escape(t.place_names)}<br>{timezone.localtime(t.received_at):%Y-%m-%d %H:%M}",
        ]
        for t in tickets[:MAX_MARKERS]
    ]
    if marker_data:
        callback = (
            "function (row) { var m = L.circleMarker(new L.LatLng(row[0], row[1]), "
            "{radius: 5, color: '#fff', weight: 1, fillColor: '#1d5fa8', fillOpacity: 0.9}); "
            "m.bindPopup(row[2]); return m; }"
        )
        _offline(plugins.FastMarkerCluster(marker_data, callback=callback, name=_("Tickets"))).add_to(m)

    title = _("%(area)s · tickets %(start)s – %(end)s · %(count)s tickets · %(hotspots)s hotspots") % {
        "area": area.name,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "count": tickets.count(),
        "hotspots": len(found),
    }
    m.get_root().html.add_child(Element(f'<div class="briefing-title">{html.escape(title)}</div>'))
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _wkt_json(wkt: str) -> str:
    from django.contrib.gis.geos import GEOSGeometry

    return GEOSGeometry(wkt, srid=4326).json


def briefing_html(*, user, area: Area, start: dt.date, end: dt.date) -> str:
    """The briefing map as one self-contained HTML document."""
    html_doc = briefing_map(user=user, area=area, start=start, end=end).get_root().render()
    return html_doc
