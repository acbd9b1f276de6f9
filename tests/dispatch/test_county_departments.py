"""County department offices (县直单位) [ORG-6]: each sub-center county has its own for the main remits, and
its matters go to them; city departments keep city-wide matters and the central five's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from assessment.metrics import assess_month
from dispatch.routing import routing_table
from grid.models import Office
from tests.helpers import CHANGQING, XIATANG, make_ticket

pytestmark = pytest.mark.django_db

SUB_CENTER_COUNTIES = ("410404", "410421", "410422", "410423", "410425", "410481", "410482")
MAIN_REMITS = (
    "供水",
    "城市管理",
    "市场监管",
    "住房保障",
    "劳动就业",
    "教育",
    "医疗卫生",
    "生态环境",
    "交通运输",
    "民政",
)


def test_every_sub_center_county_has_department_offices_for_the_main_remits_ORG_6():
    for county in SUB_CENTER_COUNTIES:
        remits = {
            item
            for remit in Office.objects.filter(kind="department", area_code=county, is_active=True).values_list(
                "remit", flat=True
            )
            for item in remit
        }
        assert set(MAIN_REMITS) <= remits, county
        assert Office.objects.get(code=f"DEPT-water-{county}").parent.code == f"SC-{county}"
    assert Office.objects.get(code="DEPT-urban-management-410421").name == "宝丰县城市管理局"


@pytest.mark.parametrize(
    "category, description, city, county",
    [
        ("0801", "家里停水两天了，也没有通知", "DEPT-water", "DEPT-water-410423"),
        ("1801", "在工地干活半年，老板拖欠工资不给", "DEPT-hrss", "DEPT-hrss-410423"),
        ("2201", "孩子明年上小学，想咨询划片入学", "DEPT-education", "DEPT-education-410423"),
        ("1101", "晚上广场舞音响太吵，噪音扰民", "DEPT-ecology", "DEPT-ecology-410423"),
    ],
)
def test_a_county_matter_goes_to_the_countys_own_department_and_a_central_one_to_the_city_ORG_6(
    category, description, city, county
):
    """[ORG-6][AS-1] 下汤镇 (鲁山县): the county's department leads; 长青社区 (central five): the city's."""
    outer = make_ticket(code=XIATANG, category=category, description=description)
    lead = outer.assignments.get(role="lead")
    assert lead.office.code == county and "[ORG-6]" in lead.why
    assert outer.center.code == "SC-410423"
    central = make_ticket(code=CHANGQING, category=category, description=description)
    assert central.assignments.get(role="lead").office.code == city


def test_a_remit_a_county_has_no_office_for_stays_with_the_city_department_ORG_6():
    """Gas is the city gas company's in every county: no county office, the city department leads."""
    t = make_ticket(code=XIATANG, category="1002", description="燃气开户要准备哪些材料，缴费在哪里办理")
    assert t.assignments.get(role="lead").office.code == "DEPT-gas"
    assert routing_table().county_departments[("410482", "供水")].code == "DEPT-water-410482"


def test_a_county_departments_tickets_count_for_its_county_not_among_city_departments_AR_2(users):
    """[AR-2] city departments are one ranking group; a county's own departments count with the county."""
    t = make_ticket(code=XIATANG, category="0801", description="家里停水两天了，也没有通知")
    now = timezone.localtime()
    tables = assess_month(now.year, now.month, now=now + dt.timedelta(minutes=1))
    assert all(not u.name.startswith("鲁山县") for u in tables["departments"])
    lushan = next(u for u in tables["counties"] if u.office_id == t.center_id)
    assert lushan.counts["handled"] >= 1
