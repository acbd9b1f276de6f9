"""An OpenLayers geometry widget for the admin that works offline: OpenLayers is
served from our own static files and the base layer is drawn from our own
county boundaries (or from the site's tile server when MAP_TILE_URL is set)."""

from django.conf import settings
from django.contrib.gis.forms.widgets import OpenLayersWidget


class OfflineMapWidget(OpenLayersWidget):
    template_name = "grid/offline_openlayers.html"

    class Media:
        extend = False  # drop the parent's CDN copies of OpenLayers
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/dist/ol.js", "gis/js/OLMapWidget.js")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["tile_url"] = settings.MAP_TILE_URL
        return context
