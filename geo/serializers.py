"""Input validation and documented output shapes of the geocoding API."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from grid.serializers import FiniteFloatField, LocateResultSerializer

from .geocoder import PRECISIONS
from .models import Place, Road

MAX_QUERY_CHARS = 500
MAX_BULK_QUERIES = 1_000


class QueryTextField(serializers.CharField):
    """A non-empty text of at most MAX_QUERY_CHARS characters after trimming."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_QUERY_CHARS)
        kwargs.setdefault("allow_blank", False)
        kwargs.setdefault("trim_whitespace", True)
        super().__init__(**kwargs)


class GeocodeQuerySerializer(serializers.Serializer):
    q = QueryTextField(help_text=f"Address or complaint text, 1–{MAX_QUERY_CHARS} characters")
    near = serializers.CharField(
        required=False,
        help_text="Optional 'lon,lat' (WGS84) that breaks ties between equally good places, e.g. the caller's position",
    )

    def validate_near(self, value: str) -> tuple[float, float]:
        parts = value.split(",")
        if len(parts) != 2:
            raise serializers.ValidationError(_("Expected 'lon,lat'."))
        lon = FiniteFloatField(min_value=-180, max_value=180).run_validation(parts[0].strip())
        lat = FiniteFloatField(min_value=-90, max_value=90).run_validation(parts[1].strip())
        return lon, lat


class GeocodeBulkSerializer(serializers.Serializer):
    queries = serializers.ListField(
        child=QueryTextField(),
        allow_empty=False,
        max_length=MAX_BULK_QUERIES,
        help_text=f"Up to {MAX_BULK_QUERIES:,} texts of 1–{MAX_QUERY_CHARS} characters",
    )


class ReverseQuerySerializer(serializers.Serializer):
    lon = FiniteFloatField(min_value=-180, max_value=180, help_text="Longitude, WGS84")
    lat = FiniteFloatField(min_value=-90, max_value=90, help_text="Latitude, WGS84")


class GeoJSONPointSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Point"])
    coordinates = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2)


class GeocodeCandidateSerializer(serializers.Serializer):
    point = GeoJSONPointSerializer()
    precision = serializers.ChoiceField(choices=PRECISIONS)
    confidence = serializers.FloatField(min_value=0, max_value=1)
    label = serializers.CharField()


class GeocodeResultSerializer(serializers.Serializer):
    """Documents one geocoding answer (built by geo.api from geo.geocoder)."""

    query = serializers.CharField()
    normalized = serializers.CharField(help_text="The text as parsed: simplified, half-width, digits for numbers")
    point = GeoJSONPointSerializer(allow_null=True, help_text="Null when nothing or several equally good places")
    precision = serializers.ChoiceField(choices=PRECISIONS, allow_null=True)
    confidence = serializers.FloatField(min_value=0, max_value=1)
    components = serializers.DictField(
        help_text="Parts understood: city, county, township, community, road, intersection, house_number, "
        "building, unit, place, corner, side, proximity, offset"
    )
    area = LocateResultSerializer(allow_null=True, help_text="The grid locate chain of the point")
    candidates = GeocodeCandidateSerializer(many=True, help_text="Up to 5 answers, best first")


class GeocodeNotFoundSerializer(serializers.Serializer):
    detail = serializers.CharField()
    query = serializers.CharField()
    normalized = serializers.CharField()
    candidates = serializers.ListField(child=serializers.DictField(), max_length=0)


class GeocodeBulkResultSerializer(serializers.Serializer):
    results = GeocodeResultSerializer(many=True)


class ReverseFeatureSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["address", "intersection", "place"])
    label = serializers.CharField()
    code = serializers.CharField()
    point = GeoJSONPointSerializer()
    distance_m = serializers.FloatField()
    road = serializers.CharField(required=False)
    number = serializers.IntegerField(required=False)


class ReverseRoadSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    distance_m = serializers.FloatField()


class ReverseResultSerializer(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    nearest = ReverseFeatureSerializer(allow_null=True, help_text="The nearest address, crossing or place within 300 m")
    address = ReverseFeatureSerializer(allow_null=True)
    intersection = ReverseFeatureSerializer(allow_null=True)
    place = ReverseFeatureSerializer(allow_null=True)
    road = ReverseRoadSerializer(allow_null=True, help_text="The nearest road within 300 m")
    area = LocateResultSerializer()


class RoadFeatureSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = Road
        geo_field = "geom"
        id_field = "code"
        fields = ["code", "name", "is_main", "synthetic"]


class PlaceFeatureSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = Place
        geo_field = "point"
        id_field = "code"
        fields = ["code", "name", "kind", "township_code", "synthetic"]
