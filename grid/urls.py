from django.urls import path

from . import api

urlpatterns = [
    path("locate", api.LocateView.as_view(), name="grid-locate"),
    path("areas/", api.AreaListView.as_view(), name="grid-areas"),
    path("areas/<str:code>/", api.AreaDetailView.as_view(), name="grid-area"),
]
