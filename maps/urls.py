from django.urls import path

from . import views

urlpatterns = [
    path("grid/", views.grid_map, name="grid-map"),
    path("wall/", views.wall, name="maps-wall"),
    path("live/", views.live_map, name="maps-live"),
    path("hotspots/", views.hotspot_register, name="maps-hotspots-page"),
]
