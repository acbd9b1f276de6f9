from django.urls import path

from . import api

urlpatterns = [
    path("geocode", api.GeocodeView.as_view(), name="geo-geocode"),
    path("reverse", api.ReverseGeocodeView.as_view(), name="geo-reverse"),
    path("roads/", api.RoadListView.as_view(), name="geo-roads"),
    path("places/", api.PlaceListView.as_view(), name="geo-places"),
]
