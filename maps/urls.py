from django.urls import path

from . import views

urlpatterns = [
    path("grid/", views.grid_map, name="grid-map"),
]
