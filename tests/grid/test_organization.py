"""The four-level network of DOMAIN.md [ORG-1..7] as loaded from the fixtures."""

import pytest

from grid.models import Area, Office, Role, User

pytestmark = pytest.mark.django_db

SUB_CENTER_COUNTIES = {"410482", "410481", "410421", "410425", "410423", "410422", "410404"}
CENTRAL_FIVE = {"410402", "410403", "410411", "410471", "410472"}


def current(level):
    return Area.objects.current().filter(level=level)


def test_the_grid_has_four_levels_with_real_codes():
    assert current("city").get().code == "410400"
    assert current("county").count() == 12
    assert current("township").count() == 148
    assert current("community").count() >= 1500
    assert set(current("county").filter(is_zone=True).values_list("code", flat=True)) == {"410471", "410472"}
    assert set(current("county").filter(is_central=True).values_list("code", flat=True)) == CENTRAL_FIVE


def test_changqing_community_lies_in_guangminglu_street_of_xinhua_district():
    changqing = current("community").get(name="长青社区居民委员会")
    assert changqing.parent.name == "光明路街道"
    assert changqing.parent.parent.name == "新华区"


def test_communities_are_denser_in_urban_streets_than_in_rural_townships():
    """The real committees: a 街道 holds fewer, the 镇/乡 more (villages), but the synthetic
    polygons of a 街道's communities are smaller on average (denser grid in the city)."""
    from django.db import connection

    def mean_area_km2(urban):
        with connection.cursor() as cur:
            cur.execute(
                "SELECT avg(ST_Area(c.geom::geography)) / 1e6 FROM grid_area c JOIN grid_area t ON t.id = c.parent_id "
                "WHERE c.level = 'community' AND c.valid_to IS NULL AND t.urban = %s",
                [urban],
            )
            return cur.fetchone()[0]

    assert current("community").count() >= 2828
    assert mean_area_km2(True) < mean_area_km2(False)


def test_city_command_center_is_the_root_of_the_organization():
    """[ORG-1] one city command center, which every other office reports up to."""
    center = Office.objects.get(kind=Office.Kind.CITY_CENTER)
    assert center.parent is None and center.area_code == "410400"
    for office in Office.objects.exclude(pk=center.pk).select_related("parent"):
        seen, node = set(), office
        while node.parent_id:
            assert node.pk not in seen
            seen.add(node.pk)
            node = node.parent
        assert node == center, office


def test_seven_sub_centers_double_as_their_county_dispatch_center():
    """[ORG-2] sub-centers in the 7 outer counties; [ORG-3] there they are the dispatch center too."""
    subs = Office.objects.filter(kind=Office.Kind.SUB_CENTER)
    assert set(subs.values_list("area_code", flat=True)) == SUB_CENTER_COUNTIES
    assert not Office.objects.filter(kind=Office.Kind.COUNTY_DISPATCH, area_code__in=SUB_CENTER_COUNTIES).exists()
    dispatch = Office.objects.filter(kind=Office.Kind.COUNTY_DISPATCH)
    assert set(dispatch.values_list("area_code", flat=True)) == CENTRAL_FIVE


def test_every_township_has_a_service_center_and_every_community_a_workstation():
    """[ORG-4] township service centers; [ORG-5] community workstations."""
    township_codes = set(current("township").values_list("code", flat=True))
    community_codes = set(current("community").values_list("code", flat=True))
    assert set(Office.objects.filter(kind="township_center").values_list("area_code", flat=True)) == township_codes
    assert set(Office.objects.filter(kind="workstation").values_list("area_code", flat=True)) == community_codes
    for ws in Office.objects.filter(kind="workstation").select_related("parent")[:200]:
        community = current("community").get(code=ws.area_code)
        assert ws.parent.area_code == community.parent.code


def test_city_departments_cover_the_main_remits():
    """[ORG-6] departments with a dispatch office each."""
    departments = Office.objects.filter(kind=Office.Kind.DEPARTMENT)
    assert departments.count() >= 15
    remits = {r for d in departments for r in d.remit}
    assert {"供水", "供热", "城市管理", "交通管理"} <= remits


def test_central_townships_report_straight_to_the_city_center():
    """[ORG-7] the city platform dispatches directly to the townships of the central districts."""
    center = Office.objects.get(kind=Office.Kind.CITY_CENTER)
    central = set(current("township").filter(is_central=True).values_list("code", flat=True))
    for tc in Office.objects.filter(kind="township_center", area_code__in=central):
        assert tc.parent == center
    outer = Office.objects.filter(kind="township_center").exclude(area_code__in=central).select_related("parent")
    assert all(tc.parent.kind == Office.Kind.SUB_CENTER for tc in outer)


def test_demo_users_exist_for_every_role_and_belong_to_an_office():
    assert set(User.objects.values_list("role", flat=True)) >= set(Role.values)
    assert not User.objects.filter(office__isnull=True).exists()
    grid_worker = User.objects.get(username="changqing_grid")
    assert grid_worker.office.name == "长青社区工作站"
    assert grid_worker.check_password("demo12345")
