"""The gazetteer fixtures and their loader."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from geo.index import gazetteer_index
from geo.models import AddressRange, GazetteerState, Intersection, Place, Road
from geo.services import GazetteerFiles, load_gazetteer

pytestmark = pytest.mark.django_db
FIXTURES = settings.BASE_DIR / "fixtures" / "pingdingshan"
CENTRAL = {"410402", "410403", "410411", "410471", "410472"}


def test_central_districts_have_at_least_60_named_roads_and_the_city_400_places():
    central = {r.name for r in Road.objects.all() if CENTRAL & set(r.county_codes)}
    assert len(central) >= 60
    assert Place.objects.count() >= 400
    assert Place.objects.values("township_code").distinct().count() == 148
    assert all(Road.objects.filter(synthetic=True).values_list("synthetic", flat=True))


def test_xinjian_and_changqing_roads_cross_inside_changqing_community():
    """[ORG-5]"""
    from grid.selectors import locate_point

    xj = Road.objects.get(name="新建路")
    cq = Road.objects.get(name="长青路")
    (x,) = Intersection.objects.filter(road_a__in=[xj, cq], road_b__in=[xj, cq])
    assert locate_point(x.point.x, x.point.y)["community"]["name"] == "长青社区居民委员会"


def test_every_main_road_has_odd_and_even_house_numbers():
    for road in Road.objects.filter(is_main=True):
        parities = set(AddressRange.objects.filter(road=road).values_list("parity", flat=True))
        assert parities == {"odd", "even"}, road.name


def test_loading_the_same_files_again_changes_nothing_and_forcing_bumps_the_index_version():
    before = GazetteerState.objects.get(id=1).version
    index = gazetteer_index()
    summary = load_gazetteer(files=GazetteerFiles.in_folder(FIXTURES))
    assert summary.skipped and GazetteerState.objects.get(id=1).version == before
    assert gazetteer_index() is index
    call_command("load_gazetteer", "--force", verbosity=0)
    assert GazetteerState.objects.get(id=1).version == before + 1
    assert gazetteer_index() is not index
    assert Road.objects.count() == summary.roads and Place.objects.count() == summary.places


def test_committed_gazetteer_files_are_what_the_build_script_makes(tmp_path: Path):
    for name in ("counties.geojson", "townships.geojson", "communities.geojson"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    script = settings.BASE_DIR / "fixtures" / "build_gazetteer.py"
    subprocess.run([sys.executable, str(script), "--dir", str(tmp_path)], check=True, capture_output=True)
    for name in ("roads.geojson", "places.geojson", "addresses.geojson"):
        assert (tmp_path / name).read_bytes() == (FIXTURES / name).read_bytes(), name
