"""The project's ASGI application with the console's suggestions as they were first written: the
suggestion code of bench/naive_suggest.py (every part computed per request through the ORM, no
caches) and the geocoder's pyproj transformers back to plain per-thread ones (rebuilt on each
request's new thread). bench/console.py serves it from daphne as `naive_suggest_asgi:application`,
the baseline."""

from config.asgi import application  # noqa: F401  (sets Django up)


def use_naive_suggest() -> None:
    from django.conf import settings
    from naive_suggest import naive_suggest
    from pyproj import Transformer

    import console.api
    import geo.index

    console.api.suggest = naive_suggest
    geo.index.TO_METRIC = Transformer.from_crs(4326, settings.METRIC_SRID, always_xy=True)
    geo.index.TO_GEOGRAPHIC = Transformer.from_crs(settings.METRIC_SRID, 4326, always_xy=True)


use_naive_suggest()
