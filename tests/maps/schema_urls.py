"""Only the maps API, so that its OpenAPI schema can be checked on its own."""

from django.urls import include, path

urlpatterns = [path("api/maps/", include("maps.api_urls"))]
