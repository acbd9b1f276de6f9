from django.shortcuts import render

from grid.models import Area


def home(request):
    return render(request, "home.html")


def city_bounds() -> list[list[float]] | None:
    """[[south, west], [north, east]] of the current city boundary, for the first view."""
    city = Area.objects.filter(level="city", valid_to__isnull=True).only("geom").first()
    if city is None:
        return None
    west, south, east, north = city.geom.extent
    return [[south, west], [north, east]]


def grid_map(request):
    """The four levels as toggleable layers over a base map drawn from our own data."""
    return render(request, "maps/grid.html", {"bounds": city_bounds()})
