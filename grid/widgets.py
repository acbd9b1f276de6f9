"""An OpenLayers geometry widget for the admin that works offline: OpenLayers is
served from our own static files and the base layer is drawn from our own
county boundaries (or from the site's tile server when MAP_TILE_URL is set).

Django's own template starts the map with an inline script, which the site's
Content Security Policy refuses; ours hands the options over as JSON
(json_script) and grid/offline_map_widget.js starts the map."""

from django.conf import settings
from django.contrib.gis.forms.widgets import OpenLayersWidget

COUNTY_OUTLINES_URL = "/api/grid/areas/?level=county&simplify=0.002"


class OfflineMapWidget(OpenLayersWidget):
    template_name = "grid/offline_openlayers.html"

    class Media:
        extend = False  # drop the parent's CDN copies of OpenLayers
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/dist/ol.js", "gis/js/OLMapWidget.js", "grid/offline_map_widget.js")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_id = context["id"]
        context["map_options_id"] = f"{widget_id}_options"
        context["map_options"] = {
            "geom_name": context["geom_type"],
            "id": widget_id,
            "map_id": f"{widget_id}_map",
            "map_srid": context["map_srid"],
            "name": context["name"],
            "module": context["module"],
            "default_lon": 113.19,
            "default_lat": 33.76,
            "default_zoom": 9,
            "tile_url": settings.MAP_TILE_URL,
            "outlines_url": COUNTY_OUTLINES_URL,
        }
        return context
