"""HTTP API of the gazetteer: geocoding (one text or a batch), reverse geocoding,
and the roads and places that draw the offline base map."""

import math

from django.contrib.gis.geos import Polygon
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.filters import InBBoxFilter

from core.api import NotFound

from . import selectors
from .geocoder import GeocodeResult, geocode, geocode_many
from .models import Place, Road
from .serializers import (
    GeocodeBulkResultSerializer,
    GeocodeBulkSerializer,
    GeocodeNotFoundSerializer,
    GeocodeQuerySerializer,
    GeocodeResultSerializer,
    PlaceFeatureSerializer,
    ReverseQuerySerializer,
    ReverseResultSerializer,
    RoadFeatureSerializer,
)


def _point(p: tuple[float, float] | None) -> dict | None:
    return None if p is None else {"type": "Point", "coordinates": [p[0], p[1]]}


def result_json(r: GeocodeResult) -> dict:
    return {
        "query": r.query,
        "normalized": r.normalized,
        "point": _point(r.point),
        "precision": r.precision,
        "confidence": r.confidence,
        "components": r.components,
        "area": r.area,
        "candidates": [{**c, "point": _point(c["point"])} for c in r.candidates],
    }


class GeocodeView(APIView):
    """Where a Chinese address or complaint text is."""

    @extend_schema(
        parameters=[GeocodeQuerySerializer],
        responses={200: GeocodeResultSerializer, 400: None, 404: GeocodeNotFoundSerializer},
        summary="Geocode one text",
        description="200 with a point; 200 with point null and candidates when several places fit equally well "
        "(near= picks the closest); 404 with empty candidates when the text names no known place.",
    )
    def get(self, request):
        q = GeocodeQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        result = geocode(q.validated_data["q"], near=q.validated_data.get("near"))
        if result.point is None and not result.candidates:
            raise NotFound(
                _("No known place in this text."),
                query=result.query,
                normalized=result.normalized,
                candidates=[],
            )
        return Response(result_json(result))

    @extend_schema(
        request=GeocodeBulkSerializer,
        responses={200: GeocodeBulkResultSerializer, 400: None},
        summary="Geocode up to 1,000 texts",
        description="One result per text, in order; a text with no known place has point null and no candidates.",
    )
    def post(self, request):
        q = GeocodeBulkSerializer(data=request.data)
        q.is_valid(raise_exception=True)
        return Response({"results": [result_json(r) for r in geocode_many(q.validated_data["queries"])]})


class ReverseGeocodeView(APIView):
    """What is at a point: address, crossing or place, road, and area chain."""

    @extend_schema(
        parameters=[ReverseQuerySerializer],
        responses={200: ReverseResultSerializer, 400: None, 404: None},
        summary="Reverse geocode one point",
    )
    def get(self, request):
        q = ReverseQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        lon, lat = q.validated_data["lon"], q.validated_data["lat"]
        found = selectors.reverse_geocode(lon, lat)
        if found is None:
            raise NotFound(_("Point (%(lon)s, %(lat)s) is outside the city's boundaries.") % {"lon": lon, "lat": lat})
        for key in ("nearest", "address", "intersection", "place"):
            if found[key] is not None:
                found[key] = {**found[key], "point": _point(found[key]["point"])}
        return Response(found)


class CheckedBBoxFilter(InBBoxFilter):
    """drf-gis's bbox filter, with the box checked first: four finite numbers, min < max, within
    longitude/latitude range (NaN reached GEOS as a ring it cannot build: a 500)."""

    def get_filter_bbox(self, request):
        raw = request.query_params.get(self.bbox_param)
        if not raw:
            return None
        try:
            parts = [float(p) for p in raw.split(",")]
        except ValueError:
            parts = []
        if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
            raise ValidationError({self.bbox_param: [_("Give four numbers: west,south,east,north.")]})
        west, south, east, north = parts
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValidationError(
                {self.bbox_param: [_("The box needs west < east and south < north, within ±180 and ±90 degrees.")]}
            )
        return Polygon.from_bbox((west, south, east, north))


class _BaseMapLayer(ListAPIView):
    """A base-map layer as GeoJSON; `in_bbox=west,south,east,north` limits it to a view."""

    filter_backends = [CheckedBBoxFilter]
    bbox_filter_include_overlapping = True
    pagination_class = None


class RoadListView(_BaseMapLayer):
    """Roads of the gazetteer (our own data: the base map needs no online tiles)."""

    serializer_class = RoadFeatureSerializer
    bbox_filter_field = "geom"

    def get_queryset(self):
        roads = Road.objects.order_by("code")
        return roads.filter(is_main=True) if self.request.query_params.get("main") == "1" else roads


class PlaceListView(_BaseMapLayer):
    """Named places: compounds, schools, hospitals, markets, offices, parks, stops, landmarks."""

    serializer_class = PlaceFeatureSerializer
    bbox_filter_field = "point"

    def get_queryset(self):
        places = Place.objects.order_by("code")
        kind = self.request.query_params.get("kind")
        if kind:
            if kind not in Place.Kind.values:
                raise ValidationError({"kind": [f"unknown kind {kind!r}; use one of {', '.join(Place.Kind.values)}"]})
            places = places.filter(kind=kind)
        return places
