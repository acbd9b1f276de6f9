"""Admin: every ticket model has its pages; the routing table is edited there; tickets are read-only
there and show the caller only to the office that calls back [IN-2]."""

import datetime as dt

import pytest

from dispatch import sla
from dispatch.models import Category, OutboundMessage, RoutingRule
from tests.helpers import CHANGQING, RUZHOU, closed_water_ticket, make_ticket

pytestmark = pytest.mark.django_db

MODELS = [
    "category",
    "routingrule",
    "slapolicy",
    "refusalrule",
    "knowledgearticle",
    "ticket",
    "outboundmessage",
]


@pytest.fixture
def admin_client(as_user):
    return as_user("admin")


@pytest.mark.parametrize("model", MODELS)
def test_every_admin_list_and_add_page_renders(admin_client, model):
    make_ticket()
    assert admin_client.get(f"/admin/dispatch/{model}/").status_code == 200
    add = admin_client.get(f"/admin/dispatch/{model}/add/").status_code
    assert add == (403 if model in ("ticket", "outboundmessage") else 200)


def test_a_ticket_page_shows_its_history_and_masks_a_caller_the_center_does_not_call_back(admin_client):
    central = make_ticket(code=CHANGQING)
    ruzhou = make_ticket(code=RUZHOU, category="0103", description="汝州市区有人占道经营", caller_phone="13700002222")
    page = admin_client.get(f"/admin/dispatch/ticket/{central.pk}/change/").content.decode()
    assert "13812341234" in page and "accept_intake" in page
    page = admin_client.get(f"/admin/dispatch/ticket/{ruzhou.pk}/change/").content.decode()
    assert "137****2222" in page and "13700002222" not in page


def test_the_center_adds_a_routing_rule_in_admin_and_the_next_ticket_follows_it_AS_1(admin_client):
    drain = Category.objects.get(code="0101")
    resp = admin_client.post(
        "/admin/dispatch/routingrule/add/",
        {
            "name": "光明路街道下水道由城管局牵头",
            "category": drain.pk,
            "area_code": "410402002",
            "central": "unknown",
            "lead": "department",
            "office": "",
            "place_level": "",
            "township_co_handles": "true",
            "priority": "0",
            "is_active": "on",
            "note": "",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    rule = RoutingRule.objects.get(name="光明路街道下水道由城管局牵头")
    assert rule.lead == "department"
    ticket = make_ticket(category="0101")
    lead = ticket.assignments.get(role="lead")
    assert lead.office.code == "DEPT-urban-management" and rule.name in lead.why
    assert ticket.assignments.get(role="co").office.code == "TC-410402002"


def test_callback_messages_are_listed_for_the_people_who_call(admin_client, users):
    t = closed_water_ticket(users)
    assert OutboundMessage.objects.filter(ticket=t, medium="sms").exists()
    page = admin_client.get("/admin/dispatch/outboundmessage/").content.decode()
    assert t.number in page and "13812341234" in page  # the city center calls back central tickets


def test_the_working_day_calendar_in_the_admin_says_which_year_is_missing_SLA_5(client, django_user_model):
    admin = django_user_model.objects.get(username="admin")
    client.force_login(admin)
    page = client.get("/admin/dispatch/calendarday/")
    assert page.status_code == 200
    for warning in sla.check_calendar(databases=["default"]):  # in December: next year, until it is entered
        assert warning.msg in page.content.decode()
    added = client.post(
        "/admin/dispatch/calendarday/add/", {"day": "2027-01-01", "name": "元旦", "source": "国务院办公厅通知"}
    )
    assert added.status_code == 302
    assert not [w for w in sla.check_calendar(databases=["default"], today=dt.date(2026, 12, 1))]
    assert sla.is_working_day(dt.date(2027, 1, 1)) is False
