"""The naive baselines the benchmarks measure the system against. They live here, not on a
production path: the API and intake have no switch for them; a benchmark swaps them in itself.

- `locate_naive`: a point's place with one ORM query per level, the way a first version would.
- `naive_locating()`: within the block, intake places points with `locate_naive` instead of the
  routing table's in-process index (bench/dispatch.py's import baseline).
- `naive_asgi.application` (bench/naive_asgi.py): the project's ASGI application with the same
  swap, for the API baseline served by a real daphne.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.contrib.gis.geos import Point


def locate_naive(lon: float, lat: float):
    """The reference: one ORM query per level (bench baseline)."""
    from dispatch.routing import AreaRef, Place
    from grid.models import Area, Level

    pt = Point(lon, lat, srid=4326)
    current = Area.objects.current()
    community = current.filter(level=Level.COMMUNITY, geom__intersects=pt).first()
    township = current.filter(level=Level.TOWNSHIP, geom__intersects=pt).first()
    county = current.filter(level=Level.COUNTY, geom__intersects=pt).first()
    deepest = community or township or county
    if deepest is None:
        return None

    def ref(a):
        return a and AreaRef(a.id, a.code, a.name, a.level, a.parent_id, a.is_central)

    return Place(deepest.id, deepest.code, ref(county), ref(township), ref(community), deepest.is_central)


def use_naive_locate() -> None:
    """From now on, in this process, intake places points the naive way."""
    import dispatch.services.intake as intake

    intake.locate = lambda table, lon, lat: locate_naive(lon, lat)


@contextmanager
def naive_locating():
    """Within this block, intake places points with locate_naive."""
    import dispatch.services.intake as intake

    original = intake.locate
    use_naive_locate()
    try:
        yield
    finally:
        intake.locate = original
