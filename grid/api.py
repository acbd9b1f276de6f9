"""HTTP API of the grid: point lookup and area features."""

from django.contrib.gis.db.models import MultiPolygonField
from django.db.models import F, Func
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import NotFound

from . import selectors
from .models import Area
from .serializers import (
    AreaDetailSerializer,
    AreaFeatureSerializer,
    AreaListQuerySerializer,
    LocateBulkSerializer,
    LocateQuerySerializer,
    LocateResultSerializer,
)


class SimplifiedMulti(Func):
    """ST_Multi(ST_SimplifyPreserveTopology(geom, tolerance)): stays a MultiPolygon."""

    template = "ST_Multi(ST_SimplifyPreserveTopology(%(expressions)s))"
    output_field = MultiPolygonField(srid=4326)


def _current_areas():
    return Area.objects.current().select_related("parent")


class LocateView(APIView):
    """Which community, township, county and offices hold a point."""

    @extend_schema(
        parameters=[LocateQuerySerializer],
        responses={200: LocateResultSerializer, 400: None, 404: None},
        summary="Locate one point",
    )
    def get(self, request):
        q = LocateQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        lon, lat = q.validated_data["lon"], q.validated_data["lat"]
        result = selectors.locate_point(lon, lat)
        if result is None:
            raise NotFound(f"point ({lon}, {lat}) is outside the city's boundaries", lon=lon, lat=lat)
        return Response(result)

    @extend_schema(
        request=LocateBulkSerializer,
        responses={
            200: inline_serializer("LocateBulkResult", {"results": LocateResultSerializer(many=True, allow_null=True)}),
            400: None,
        },
        summary="Locate up to 10,000 points",
    )
    def post(self, request):
        q = LocateBulkSerializer(data=request.data)
        q.is_valid(raise_exception=True)
        return Response({"results": selectors.locate_points(q.validated_data["points"])})


class AreaListView(APIView):
    """Areas as a GeoJSON FeatureCollection."""

    @extend_schema(parameters=[AreaListQuerySerializer], responses={200: AreaFeatureSerializer(many=True)})
    def get(self, request):
        q = AreaListQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        areas = _current_areas().order_by("code")
        if level := q.validated_data.get("level"):
            areas = areas.filter(level=level)
        if parent := q.validated_data.get("parent"):
            areas = areas.filter(parent__code=parent)
        tolerance = q.validated_data["simplify"]
        shape = SimplifiedMulti(F("geom"), tolerance) if tolerance else F("geom")
        return Response(AreaFeatureSerializer(areas.annotate(shape=shape), many=True).data)


class AreaDetailView(APIView):
    @extend_schema(responses={200: AreaDetailSerializer, 404: None})
    def get(self, request, code: str):
        area = _current_areas().annotate(shape=F("geom")).filter(code=code).first()
        if area is None:
            raise NotFound(f"no current area has code {code}")
        return Response(AreaDetailSerializer(area).data)
