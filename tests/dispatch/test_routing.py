"""Auto-dispatch: place and category to offices, with the why recorded [AS-1][AS-2][ORG-1][ORG-2][ORG-7]."""

import pytest
from django.contrib.gis.geos import Point

from dispatch.models import Assignment, Category, RoutingRule, Status
from dispatch.routing import locate, routing_table
from grid.models import Area, Level, Office
from tests.helpers import CHANGQING, XIATANG, events, label, make_ticket

pytestmark = pytest.mark.django_db


def lead_and_co(ticket):
    rows = ticket.assignments.filter(is_active=True).select_related("office")
    lead = [a for a in rows if a.role == Assignment.Role.LEAD]
    return lead[0] if lead else None, [a for a in rows if a.role == Assignment.Role.CO]


def test_central_district_ticket_goes_straight_to_the_township_service_center_ORG_7():
    """[ORG-1][ORG-7] the city center assigns a central-district ticket straight to the township."""
    ticket = make_ticket(category="0103", description="光明路上有流动摊贩占道经营，影响通行")  # 占道经营: place leads
    lead, co = lead_and_co(ticket)
    assert ticket.status == Status.DISPATCHED
    assert ticket.center.code == "CC-410400"
    assert lead.office.code == "TC-410402002"
    assert lead.dispatched_by.code == "CC-410400"
    assert co == []
    assert "长青社区" in lead.why and "光明路街道民呼必应服务中心" in lead.why and "[ORG-7]" in lead.why


def test_category_a_community_settles_goes_to_the_community_workstation_ORG_5():
    """[AS-1] drain blockage is settled by the community itself: 长青社区工作站 leads."""
    ticket = make_ticket(category="0101")
    lead, _co = lead_and_co(ticket)
    assert lead.office.code == f"WS-{CHANGQING}"
    assert "[ORG-5]" in lead.why


def test_other_county_ticket_goes_through_its_sub_center_to_the_township_ORG_2():
    """[ORG-2] a 鲁山县 ticket is dispatched by the 鲁山县 sub-center to the township."""
    ticket = make_ticket(code=XIATANG, category="0103", description="镇上集市有人占道经营，车辆无法通行")
    lead, _co = lead_and_co(ticket)
    assert ticket.center.code == "SC-410423"
    assert lead.office.code == f"TC-{XIATANG}"
    assert lead.dispatched_by.code == "SC-410423"
    assert "鲁山县民呼必应分中心" in lead.why and "[ORG-2]" in lead.why
    assert ticket.county_code == "410423" and ticket.township_code == XIATANG and not ticket.is_central


def test_heating_leak_heating_company_leads_and_the_street_co_handles_AS_2():
    """[AS-1][AS-2] a leaking heating pipe: the heating company leads, 光明路街道 co-handles, each with its why."""
    ticket = make_ticket(category="0701", description="长青社区19号楼暖气管道漏水，楼道里全是水")
    lead, co = lead_and_co(ticket)
    assert lead.office.code == "DEPT-heating"
    assert [c.office.code for c in co] == ["TC-410402002"]
    assert "供热/管道漏水" in lead.why and "市热力公司" in lead.why and "[AS-1]" in lead.why
    assert "长青社区" in co[0].why and "[AS-2]" in co[0].why
    assert set(ticket.focus_reasons) >= {"multi_unit", "cross_level", "livelihood"}
    accept = ticket.events.get(action="accept_intake")
    assert {a["office"] for a in accept.data["assignments"]} == {"DEPT-heating", "TC-410402002"}


def test_department_category_without_co_handling_goes_to_the_department_alone_AS_1():
    """[AS-1] a water outage is the water company's alone."""
    ticket = make_ticket(category="0801", description="长青社区从早上开始停水，到现在还没来水")
    lead, co = lead_and_co(ticket)
    assert lead.office.code == "DEPT-water" and co == []


def test_routing_rule_edited_by_the_center_overrides_the_category_default_AS_1():
    """[AS-1] the routing table is the center's to edit: a rule for 新华区 sends drains to the township."""
    drain = Category.objects.get(code="0101")
    rule = RoutingRule.objects.create(
        name="新华区下水道由街道牵头", category=drain, area_code="410402", lead="place", place_level="township"
    )
    ticket = make_ticket(category="0101")
    lead, _co = lead_and_co(ticket)
    assert lead.office.code == "TC-410402002"
    assert rule.name in lead.why
    rule.is_active = False
    rule.save()
    assert lead_and_co(make_ticket(category="0101"))[0].office.code == f"WS-{CHANGQING}"


def test_the_seeded_rule_lets_the_township_lead_heating_outside_the_central_districts():
    ticket = make_ticket(code=XIATANG, category="0701", description="村里的暖气管道漏水，地面结冰很危险")
    lead, co = lead_and_co(ticket)
    assert lead.office.code == f"TC-{XIATANG}" and co == []
    assert "县域供热由属地牵头" in lead.why


def test_a_more_specific_rule_wins_over_a_general_one():
    RoutingRule.objects.create(name="全部转人工", lead="manual")
    RoutingRule.objects.create(name="供水照常", category=Category.objects.get(code="08"), lead="department")
    assert make_ticket(category="0801", description="长青社区停水一整天了还没恢复").status == Status.DISPATCHED
    assert make_ticket(category="0103", description="光明路上占道经营的摊贩很多").status == Status.PENDING_DISPATCH


def test_a_rule_can_add_co_handlers():
    rule = RoutingRule.objects.create(
        name="电梯故障市场监管协办", category=Category.objects.get(code="1502"), lead="department"
    )
    rule.co_handlers.add(Office.objects.get(code="DEPT-market"))
    ticket = make_ticket(category="1502", description="长青社区3号楼电梯困人后一直停运")
    _lead, co = lead_and_co(ticket)
    assert {c.office.code for c in co} == {"TC-410402002", "DEPT-market"}


def test_ticket_without_place_or_category_goes_to_the_manual_queue_never_lost():
    """A ticket that cannot be routed waits in the manual dispatch queue, with the reason."""
    no_place = make_ticket(code=None, category="0103", description="有人占道经营，具体位置记不清了")
    no_category = make_ticket(category="", description="想反映一个问题，不知道归谁管")
    for ticket in (no_place, no_category):
        assert ticket.status == Status.PENDING_DISPATCH
        assert ticket.assignments.count() == 0
        assert events(ticket) == ["queue_for_dispatch"]
        assert ticket.events.get().note
        assert ticket.center.code == "CC-410400"


def test_department_led_ticket_routes_even_without_a_place():
    ticket = make_ticket(code=None, category="0801", description="我们小区停水了，也没有通知")
    assert ticket.status == Status.DISPATCHED
    assert lead_and_co(ticket)[0].office.code == "DEPT-water"


def test_the_indexed_lookup_agrees_with_the_areas_at_the_point_on_every_township():
    table = routing_table()
    for township in Area.objects.current().filter(level=Level.TOWNSHIP)[:40]:
        lon, lat = label(township.code)
        fast = locate(table, lon, lat)
        chain = {a.level: a for a in Area.objects.at(Point(lon, lat, srid=4326))}
        assert fast.township.code == chain[Level.TOWNSHIP].code == township.code
        assert (fast.community and fast.community.code) == (chain.get(Level.COMMUNITY) and chain[Level.COMMUNITY].code)
        assert fast.is_central == chain[Level.COUNTY].is_central


def test_a_ticket_keeps_the_area_row_of_its_time():
    """Boundaries change: the ticket points at the area row (with its generation) it was placed in."""
    ticket = make_ticket()
    assert ticket.area.code == CHANGQING and ticket.area.valid_to is None
    assert ticket.place_names == "新华区 / 光明路街道 / 长青社区居民委员会"


def test_the_manual_dispatch_queue_lists_unrouted_tickets_oldest_first_for_the_center(as_user):
    import datetime as dt

    from django.utils import timezone

    older = make_ticket(
        code=None,
        category="0103",
        description="有人占道经营，位置说不清",
        received_at=timezone.now() - dt.timedelta(hours=2),
    )
    newer = make_ticket(category="", description="想反映一个问题，不知道归谁管")
    make_ticket()  # routed: not in the queue
    body = as_user("city_dispatcher").get("/api/dispatch-queue/").json()
    assert [t["number"] for t in body["results"]] == [older.number, newer.number]
    # a workstation sees the queued ticket placed in its community, not the one nobody could place
    seen = as_user("changqing_grid").get("/api/dispatch-queue/").json()["results"]
    assert [t["number"] for t in seen] == [newer.number]
