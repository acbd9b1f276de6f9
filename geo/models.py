"""The gazetteer: roads, their crossings, house-number ranges and places.

Areas (city → community) and their names live in grid.Area; the gazetteer
refers to them by their stable GB/T 2260 codes and never copies them. Names
carry pg_trgm GIN indexes for fuzzy lookup, geometries GiST indexes.
"""

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Road(models.Model):
    """A named road of one county (a name used in two counties is two roads)."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=60)
    aliases = ArrayField(models.CharField(max_length=60), default=list, blank=True)
    county_codes = ArrayField(models.CharField(max_length=12), default=list, help_text=_("Counties the road crosses"))
    township_codes = ArrayField(
        models.CharField(max_length=12), default=list, help_text=_("Townships the road crosses")
    )
    is_main = models.BooleanField(default=False, help_text=_("Main road with house-number ranges"))
    synthetic = models.BooleanField(default=False, help_text=_("Geometry made up for the demo fixtures"))
    geom = models.MultiLineStringField(srid=4326)

    class Meta:
        ordering = ["code"]
        indexes = [
            GinIndex(fields=["name"], name="geo_road_name_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["aliases"], name="geo_road_aliases_gin"),
            GinIndex(fields=["county_codes"], name="geo_road_counties_gin"),
        ]
        verbose_name = _("road")
        verbose_name_plural = _("roads")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Intersection(models.Model):
    """Where two roads cross: the place named by "A路与B路交叉口"."""

    road_a = models.ForeignKey(Road, on_delete=models.CASCADE, related_name="+")
    road_b = models.ForeignKey(Road, on_delete=models.CASCADE, related_name="+")
    point = models.PointField(srid=4326)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(road_a__lt=models.F("road_b")), name="intersection_ordered")]
        indexes = [models.Index(fields=["road_a", "road_b"])]
        verbose_name = _("intersection")
        verbose_name_plural = _("intersections")


class AddressRange(models.Model):
    """House numbers of one side of a road, spaced evenly along a line (odd or even)."""

    class Parity(models.TextChoices):
        ODD = "odd", _("Odd numbers")
        EVEN = "even", _("Even numbers")

    code = models.CharField(max_length=40, unique=True)
    road = models.ForeignKey(Road, on_delete=models.CASCADE, related_name="address_ranges")
    first = models.PositiveIntegerField()
    last = models.PositiveIntegerField()
    parity = models.CharField(max_length=4, choices=Parity.choices)
    synthetic = models.BooleanField(default=False)
    geom = models.LineStringField(srid=4326, help_text=_("From the first number to the last, off the centre line"))

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(first__lte=models.F("last")), name="address_range_ordered")]
        verbose_name = _("house-number range")
        verbose_name_plural = _("house-number ranges")


class Place(models.Model):
    """A named point people refer to: a compound, a school, a bus stop …"""

    class Kind(models.TextChoices):
        RESIDENTIAL = "residential", _("Residential compound")
        SCHOOL = "school", _("School")
        HOSPITAL = "hospital", _("Hospital")
        MARKET = "market", _("Market")
        GOVERNMENT = "government", _("Government office")
        PARK = "park", _("Park")
        BUS_STOP = "bus_stop", _("Bus stop")
        LANDMARK = "landmark", _("Landmark")

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=80)
    aliases = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    point = models.PointField(srid=4326)
    community_code = models.CharField(max_length=12, blank=True)
    township_code = models.CharField(max_length=12, blank=True, db_index=True)
    county_code = models.CharField(max_length=12, blank=True)
    synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]
        indexes = [
            GinIndex(fields=["name"], name="geo_place_name_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["aliases"], name="geo_place_aliases_gin"),
        ]
        verbose_name = _("place")
        verbose_name_plural = _("places")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class GazetteerState(models.Model):
    """A single row whose version changes with every gazetteer load, so that the
    in-process geocoding index (geo.index) knows when to rebuild."""

    version = models.BigIntegerField(default=0)
    checksum = models.CharField(max_length=64, blank=True, help_text=_("Of the files last loaded"))
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="gazetteerstate_single_row")]
