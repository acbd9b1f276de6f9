from django.conf import settings


def map_settings(request):
    """Tile server (optional) for every map page; without one the base map is our own data."""
    return {"MAP_TILE_URL": settings.MAP_TILE_URL, "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION}
