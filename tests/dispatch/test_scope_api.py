"""Who sees what: every list and detail scoped by the caller's office; denials are 404; the caller is
masked except for the office that must call back [IN-2]."""

import pytest
from django.test import Client

from dispatch.selectors import can_see_caller, mask_name, mask_phone, tickets_visible_to
from tests.helpers import CHANGQING, RUZHOU, XIATANG, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    """Tickets across the city, by name. 汝州市 here has no water company of its own (its office is closed), so
    its water ticket goes to the city's [ORG-6]."""
    from dispatch.routing import invalidate
    from grid.models import Office

    Office.objects.filter(code=f"DEPT-water-{RUZHOU}").update(is_active=False)
    invalidate()
    return {
        "drain_changqing": make_ticket(code=CHANGQING, category="0101"),
        "heating_changqing": make_ticket(code=CHANGQING, category="0701", description="长青社区暖气管道漏水严重"),
        "drain_neighbour": make_ticket(code="410402002002", category="0101", caller_phone="13900001111"),
        "market_xiatang": make_ticket(code=XIATANG, category="0103", description="下汤镇集市有人占道经营"),
        "market_ruzhou": make_ticket(
            code=RUZHOU, category="0103", description="汝州市区有人占道经营", caller_phone="13700002222"
        ),
        "water_ruzhou": make_ticket(code=RUZHOU, category="0801", description="汝州市区停水一整天没有通知"),
    }


EXPECTED = {
    "city_dispatcher": set(),  # everything (checked separately)
    "xinhua_dispatcher": {"drain_changqing", "heating_changqing", "drain_neighbour"},
    "ruzhou_dispatcher": {"market_ruzhou", "water_ruzhou"},
    "guangminglu_handler": {"drain_changqing", "heating_changqing", "drain_neighbour"},
    "changqing_head": {"drain_changqing", "heating_changqing"},
    "changqing_grid": {"drain_changqing", "heating_changqing"},
    "guangminglu_grid2": {"drain_neighbour"},
    "xiatang_handler": {"market_xiatang"},
    "heating_handler": {"heating_changqing"},
    "water_handler": {"water_ruzhou"},
}


def listed(client) -> set[str]:
    numbers, url = set(), "/api/tickets/?page_size=200"
    while url:
        body = client.get(url).json()
        numbers |= {t["number"] for t in body["results"]}
        url = body["next"]
    return numbers


def test_the_city_center_sees_every_ticket(as_user, world):
    assert {t.number for t in world.values()} <= listed(as_user("city_dispatcher"))
    assert {t.number for t in world.values()} <= listed(as_user("wall_viewer"))


@pytest.mark.parametrize("username", [u for u in EXPECTED if u != "city_dispatcher"])
def test_each_office_lists_exactly_its_own_tickets(as_user, world, username):
    """Sub-center/county: its county; township: its township; workstation: its community; department: its assignments."""
    expected = {world[name].number for name in EXPECTED[username]}
    assert listed(as_user(username)) == expected


@pytest.mark.parametrize(
    "username, name",
    [
        ("changqing_grid", "drain_neighbour"),  # another community of the same street
        ("changqing_head", "market_xiatang"),
        ("heating_handler", "drain_changqing"),  # a department sees only its own assignments
        ("water_handler", "heating_changqing"),
        ("xinhua_dispatcher", "market_ruzhou"),
        ("ruzhou_dispatcher", "drain_changqing"),
        ("xiatang_handler", "market_ruzhou"),
    ],
)
def test_another_offices_ticket_is_404_for_detail_and_every_action(as_user, world, username, name):
    client, number = as_user(username), world[name].number
    assert client.get(f"/api/tickets/{number}/").status_code == 404
    for action in ("sign-for", "return", "reply", "accept-reply", "callback"):
        assert client.post(f"/api/tickets/{number}/{action}/", {}, content_type="application/json").status_code == 404


def test_a_user_without_an_office_sees_nothing(world, client):
    from grid.models import User

    loner = User.objects.create_user("loner", password="x-12345678")
    client.force_login(loner)
    assert listed(client) == set()
    assert tickets_visible_to(loner).count() == 0


def test_the_caller_is_shown_only_to_the_office_that_calls_back_IN_2(as_user, world):
    """[IN-2] central-district tickets: the city center calls back; 汝州's: the 汝州 sub-center."""
    drain, ruzhou = world["drain_changqing"].number, world["market_ruzhou"].number
    shown = as_user("city_dispatcher").get(f"/api/tickets/{drain}/").json()["caller"]
    assert shown == {"name": "王芳", "phone": "13812341234", "email": "", "masked": False}
    assert as_user("ruzhou_dispatcher").get(f"/api/tickets/{ruzhou}/").json()["caller"]["phone"] == "13700002222"
    for username, number in [
        ("city_dispatcher", ruzhou),  # not the city center's to call back
        ("guangminglu_handler", drain),
        ("changqing_grid", drain),
        ("heating_handler", world["heating_changqing"].number),
    ]:
        caller = as_user(username).get(f"/api/tickets/{number}/").json()["caller"]
        assert caller["masked"] is True, username
        assert caller["phone"] in ("138****1234", "137****2222"), username
        assert caller["name"] == "王*", username


def test_the_list_masks_the_caller_too_IN_2(as_user, world):
    body = as_user("guangminglu_handler").get("/api/tickets/").json()
    assert {t["caller"]["phone"] for t in body["results"]} == {"138****1234", "139****1111"}
    assert all(t["caller"]["masked"] for t in body["results"])


def test_masks():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("0375-2345678") == "037****5678"
    assert mask_phone("+86 138 1234 1234") == "138****1234"
    assert mask_phone("110") == "***"
    assert mask_phone("") == ""
    assert mask_name("王芳") == "王*" and mask_name("欧阳娜娜") == "欧***" and mask_name("") == ""


def test_the_county_dispatch_center_sees_the_caller_of_its_townships_tickets_ORG_3_IN_2(as_user, world):
    """[ORG-3] 新华区's dispatch center acts (and calls back) for its townships, so it sees their callers."""
    drain = world["drain_changqing"].number
    assert as_user("xinhua_dispatcher").get(f"/api/tickets/{drain}/").json()["caller"]["masked"] is False
    assert as_user("gaoxin_dispatcher").get(f"/api/tickets/{drain}/").status_code == 404


def test_can_see_caller_follows_the_tickets_center(users, world):
    assert can_see_caller(users["city_dispatcher"], world["drain_changqing"])
    assert not can_see_caller(users["city_dispatcher"], world["water_ruzhou"])
    assert can_see_caller(users["ruzhou_dispatcher"], world["water_ruzhou"])
    assert not can_see_caller(users["water_handler"], world["water_ruzhou"])
    assert not can_see_caller(None, world["water_ruzhou"])


def test_the_lead_unit_sees_the_caller_while_it_handles_the_ticket_and_not_before_or_after_IN_2_HD_1(users, world):
    """[HD-1] the lead unit contacts the caller: it sees name and phone once signed for, until its reply."""
    from dispatch import services
    from tests.helpers import WATER_REPLY

    ticket, water = world["water_ruzhou"], users["water_handler"]
    ticket.refresh_from_db()
    assert not can_see_caller(water, ticket)  # assigned, not yet signed for
    services.sign_for(ticket=ticket, by=water)
    ticket.refresh_from_db()
    assert can_see_caller(water, ticket)
    assert not can_see_caller(users["heating_handler"], ticket)  # another department
    assert not can_see_caller(users["changqing_grid"], ticket)
    services.contact_caller(ticket=ticket, by=water, note="电话联系诉求人")  # [HD-1]
    services.reply(ticket=ticket, by=water, **WATER_REPLY)
    ticket.refresh_from_db()
    assert not can_see_caller(water, ticket)  # its turn is over; the center calls back [CB-1]
    assert can_see_caller(users["ruzhou_dispatcher"], ticket)


def test_a_grid_worker_gets_the_callers_number_to_dial_once_the_workstation_signs_for_it_IN_2(users, world):
    """The phone page shows the number as a tel: link to the workstation handling the ticket, and the
    showing is in the audit log; before signing for it the number is masked."""
    from audit.models import AuditEntry
    from dispatch import services
    from dispatch.models import Assignment

    ticket = make_ticket(code=CHANGQING, category="0101", description="长青路12号门前雨水井堵塞")
    ticket.caller_phone, ticket.caller_name = "13912345678", "李娜"
    ticket.save(update_fields=["caller_phone", "caller_name"])
    lead = ticket.assignments.get(role=Assignment.Role.LEAD)
    worker = users["changqing_grid"]
    assert lead.office_id == worker.office_id  # a blocked drain in 长青社区 leads with its workstation [AS-1]
    client = Client()
    client.force_login(worker)
    page = client.get(f"/w/t/{ticket.number}/").content.decode()
    assert "13912345678" not in page and "139****5678" in page
    services.sign_for(ticket=ticket, by=worker)
    before = AuditEntry.objects.count()
    page = client.get(f"/w/t/{ticket.number}/").content.decode()
    assert 'href="tel:13912345678"' in page and "李娜" in page
    assert AuditEntry.objects.count() > before


def test_the_ruzhou_sub_center_runs_its_own_tickets_and_the_city_center_cannot_close_them(as_user, world):
    """[ORG-2] a sub-center does for its county what the city center does for the central five."""
    ticket = world["market_ruzhou"]
    lead = ticket.assignments.get(role="lead").office
    assert lead.kind == "township_center" and lead.area_code.startswith(RUZHOU)
    resp = as_user("city_dispatcher").post(
        f"/api/tickets/{ticket.number}/accept-reply/", {}, content_type="application/json"
    )
    assert resp.status_code == 403
