import math

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_gis import build_geo_container_schema, build_polygon_schema
from drf_spectacular.plumbing import build_array_type
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from .models import Area, Level, Office

MAX_BULK_POINTS = 10_000


class FiniteFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise serializers.ValidationError(_("A finite number is required."))
        return value


class LocateQuerySerializer(serializers.Serializer):
    lon = FiniteFloatField(min_value=-180, max_value=180, help_text="Longitude, WGS84")
    lat = FiniteFloatField(min_value=-90, max_value=90, help_text="Latitude, WGS84")


class LocateBulkSerializer(serializers.Serializer):
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2),
        max_length=MAX_BULK_POINTS,
        allow_empty=False,
        help_text=f"Up to {MAX_BULK_POINTS:,} [lon, lat] pairs",
    )

    def validate_points(self, points):
        cleaned = []
        for i, pair in enumerate(points):
            lon, lat = pair
            for name, value, bound in (("lon", lon, 180), ("lat", lat, 90)):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                    raise serializers.ValidationError(f"points[{i}]: {name} must be a finite number, got {value!r}")
                if not -bound <= value <= bound:
                    raise serializers.ValidationError(f"points[{i}]: {name} {value} is outside -{bound}..{bound}")
            cleaned.append((float(lon), float(lat)))
        return cleaned


class AreaRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CountyRefSerializer(AreaRefSerializer):
    is_zone = serializers.BooleanField()


class OfficeRefSerializer(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField()
    code = serializers.CharField()


class LocateResultSerializer(serializers.Serializer):
    """Documents the locate answer (built by grid.selectors)."""

    lon = serializers.FloatField()
    lat = serializers.FloatField()
    city = AreaRefSerializer(allow_null=True)
    county = CountyRefSerializer(allow_null=True)
    township = AreaRefSerializer(allow_null=True)
    community = AreaRefSerializer(allow_null=True)
    offices = OfficeRefSerializer(many=True)


class AreaListQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    parent = serializers.CharField(required=False, max_length=12, help_text="Only the children of this area code")
    simplify = FiniteFloatField(
        required=False,
        min_value=0,
        max_value=0.1,
        default=0,
        help_text="Simplification tolerance in degrees (0 = full detail, 0.0005 ≈ 50 m)",
    )


@extend_schema_field(build_geo_container_schema("MultiPolygon", build_array_type(build_polygon_schema())))
class AreaShapeField(GeometryField):
    """The area's MultiPolygon as annotated by the view ("shape", optionally simplified);
    declared for the OpenAPI schema, which cannot follow an annotation to a model field."""


class AreaFeatureSerializer(GeoFeatureModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True, allow_null=True)
    # "shape" is the (optionally simplified) geometry annotated by the view.
    geom = AreaShapeField(source="shape", read_only=True, precision=6)
    label = serializers.SerializerMethodField()

    class Meta:
        model = Area
        geo_field = "geom"
        id_field = "code"
        fields = [
            "code",
            "name",
            "short_name",
            "aliases",
            "level",
            "parent_code",
            "is_zone",
            "is_central",
            "urban",
            "synthetic_geometry",
            "label",
        ]

    def get_label(self, area) -> list[float] | None:
        """A point inside the area for its name label, [lon, lat]."""
        p = area.label_point
        return [round(p.x, 6), round(p.y, 6)] if p else None


class OfficeSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None, read_only=True, allow_null=True)

    class Meta:
        model = Office
        fields = ["code", "kind", "name", "area_code", "parent_code", "remit", "phone"]


class AreaDetailSerializer(AreaFeatureSerializer):
    children = serializers.SerializerMethodField()
    offices = serializers.SerializerMethodField()

    class Meta(AreaFeatureSerializer.Meta):
        fields = AreaFeatureSerializer.Meta.fields + ["children", "offices"]

    def get_children(self, area) -> list[str]:
        return list(area.children.current().order_by("code").values_list("code", flat=True))

    def get_offices(self, area) -> list[dict]:
        return OfficeSerializer(Office.objects.filter(area_code=area.code, is_active=True), many=True).data
