"""Inputs and outputs of the maps API. Every query parameter is validated and a
bad one answers 400 naming it; outputs are GeoJSON or plain JSON whose shapes
the OpenAPI schema spells out."""

from __future__ import annotations

import math
import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from dispatch.models import Category
from dispatch.serializers import FlexibleDateTimeField
from grid.models import Area, Level

MAX_DAYS = 90


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError:
        raise serializers.ValidationError(_("bbox is four numbers: minlon,minlat,maxlon,maxlat.")) from None
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise serializers.ValidationError(_("bbox is four numbers: minlon,minlat,maxlon,maxlat."))
    west, south, east, north = parts
    if not (-180 <= west < east <= 180 and -85.06 <= south < north <= 85.06):
        raise serializers.ValidationError(
            _("bbox needs min < max, longitudes within ±180 and latitudes within ±85.05.")
        )
    return west, south, east, north


class CategoryCodeField(serializers.CharField):
    """A leaf (0101) or top-level (01) category code, turned into the Category."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 16)
        kwargs.setdefault("help_text", "Leaf (0101) or top-level (01) category code")
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        code = super().run_validation(data)  # a string within max_length, no NUL bytes
        if code is None or code is serializers.empty:
            return code
        code = code.strip()
        if not re.fullmatch(r"[0-9A-Za-z_-]{1,16}", code):
            raise serializers.ValidationError(_("A category code is letters and digits, e.g. 0101."))
        category = Category.objects.filter(code=code).first()
        if category is None:
            raise serializers.ValidationError(_("No category has code %(code)s.") % {"code": code[:16]})
        return category


class AreaCodeField(serializers.CharField):
    """A current area code (county, township or community), turned into the Area."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault("help_text", "County, township or community code (GB/T 2260 style)")
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        code = super().run_validation(data)
        if code is None or code is serializers.empty:
            return code
        code = code.strip()
        if not re.fullmatch(r"\d{6,12}", code):
            raise serializers.ValidationError(_("An area code is 6 to 12 digits."))
        area = Area.objects.current().filter(code=code).first()
        if area is None:
            raise serializers.ValidationError(_("No current area has code %(code)s.") % {"code": code})
        return area


class ClustersQuerySerializer(serializers.Serializer):
    bbox = serializers.CharField(help_text="The view: minlon,minlat,maxlon,maxlat (EPSG:4326)")
    zoom = serializers.IntegerField(min_value=0, max_value=22, help_text="The map's zoom level (Web Mercator)")
    since = FlexibleDateTimeField(
        required=False, help_text="Only tickets received from then on (default: the last 7 days)"
    )
    category = CategoryCodeField(required=False)
    area = AreaCodeField(required=False, help_text="Only the tickets of this county, township or community")

    def validate_bbox(self, value):
        return parse_bbox(value)


class HotspotsQuerySerializer(serializers.Serializer):
    category = CategoryCodeField(required=False)
    days = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_DAYS, help_text="Window in days (default: each category's rule)"
    )
    area = AreaCodeField(required=False)


class SummaryQuerySerializer(serializers.Serializer):
    area = AreaCodeField(required=False)


class AreaStatsQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=[(c, label) for c, label in Level.choices if c != Level.CITY], default=Level.TOWNSHIP
    )
    parent = AreaCodeField(required=False, help_text="Only the areas inside this one")


class CaseSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, trim_whitespace=True, help_text="What the center asks for")


# -- outputs -----------------------------------------------------------------------------


class PointGeometrySerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Point")
    coordinates = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2)


class PolygonGeometrySerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Polygon")
    coordinates = serializers.ListField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    )


class BinPropertiesSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="cluster (a bin of several tickets) or ticket (a bin of one)")
    count = serializers.IntegerField()
    open = serializers.IntegerField(help_text="Not answered yet")
    overdue = serializers.IntegerField()
    urgent = serializers.IntegerField(help_text="Urgent or extra-urgent")
    number = serializers.CharField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    urgency = serializers.CharField(allow_null=True)
    category = serializers.CharField(allow_null=True)


class BinFeatureSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Feature")
    geometry = PointGeometrySerializer()
    properties = BinPropertiesSerializer()


class ClustersSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="FeatureCollection")
    features = BinFeatureSerializer(many=True)
    cell_m = serializers.FloatField(help_text="Edge of a bin in Web Mercator metres")
    total = serializers.IntegerField(help_text="Tickets in the view")
    since = serializers.DateTimeField()


class HotspotPropertiesSerializer(serializers.Serializer):
    label = serializers.CharField()
    category = serializers.CharField(help_text="Leaf category code")
    category_name = serializers.CharField()
    count = serializers.IntegerField()
    first_at = serializers.DateTimeField()
    last_at = serializers.DateTimeField()
    window_days = serializers.IntegerField()
    radius_m = serializers.FloatField()
    county_code = serializers.CharField()
    township_code = serializers.CharField()
    township = serializers.CharField()
    place = serializers.CharField(help_text="The leading road or place ('' without a gazetteer)")
    centroid = serializers.ListField(child=serializers.FloatField())
    tickets = serializers.ListField(child=serializers.CharField(), help_text="Numbers of its tickets")
    ticket_urls = serializers.ListField(child=serializers.CharField())
    register_id = serializers.IntegerField(allow_null=True, help_text="The register entry it continues")
    state = serializers.CharField(allow_null=True, help_text="new, growing or steady in the register")


class HotspotFeatureSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Feature")
    geometry = PolygonGeometrySerializer()
    properties = HotspotPropertiesSerializer()


class HotspotsSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="FeatureCollection")
    features = HotspotFeatureSerializer(many=True)


class CountersSerializer(serializers.Serializer):
    intake_today = serializers.IntegerField()
    open = serializers.IntegerField()
    near_deadline = serializers.IntegerField()
    overdue = serializers.IntegerField()
    closed_today = serializers.IntegerField()
    callbacks_this_month = serializers.IntegerField()
    satisfaction_rate = serializers.FloatField(allow_null=True)


class CategoryTrendSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    parent_name = serializers.CharField()
    today = serializers.IntegerField()
    last_7_days = serializers.IntegerField()
    daily_mean_7_days = serializers.FloatField()


class FeedItemSerializer(serializers.Serializer):
    number = serializers.CharField()
    received_at = serializers.DateTimeField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    urgency = serializers.CharField()
    category = serializers.CharField()
    place = serializers.CharField()
    summary = serializers.CharField()
    lon = serializers.FloatField(allow_null=True)
    lat = serializers.FloatField(allow_null=True)


class SummarySerializer(serializers.Serializer):
    now = serializers.DateTimeField()
    counters = CountersSerializer()
    categories = CategoryTrendSerializer(many=True)
    latest = FeedItemSerializer(many=True)


class AreaStatSerializer(serializers.Serializer):
    code = serializers.CharField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()


class RegisterEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    category = serializers.CharField()
    count = serializers.IntegerField()
    peak_count = serializers.IntegerField()
    township_code = serializers.CharField()
    detected_at = serializers.DateTimeField()
    grew_at = serializers.DateTimeField(allow_null=True)
    last_at = serializers.DateTimeField()
    centroid = serializers.ListField(child=serializers.FloatField())
    tickets = serializers.ListField(child=serializers.CharField())
    case_opened_at = serializers.DateTimeField(allow_null=True)
    case_note = serializers.CharField()
