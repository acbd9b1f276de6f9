"""My queue on a phone: nearest deadline first, coloured by how much time is used, with filters."""

import datetime as dt

import pytest
from django.utils import timezone

from dispatch import services
from tests.helpers import CHANGQING, make_ticket

from .conftest import numbers, text

pytestmark = pytest.mark.django_db


def ago(hours: float):
    return timezone.now() - dt.timedelta(hours=hours)


@pytest.fixture
def drains(users):
    """Drain blockages in 长青社区 (settled by its workstation), signed for, received 10 to 130 hours ago."""
    made = {}
    for name, hours in [("fresh", 10), ("half", 70), ("near", 100), ("late", 130)]:
        t = make_ticket(code=CHANGQING, category="0101", received_at=ago(hours), address=f"长青路{hours}号")
        services.sign_for(ticket=t, by=users["changqing_grid"])
        made[name] = t
    return made


def test_the_queue_is_sorted_by_the_nearest_deadline_SLA_1(as_user, drains):
    page = as_user("changqing_grid").get("/w/")
    assert page.status_code == 200
    order = [drains[n].number for n in ("late", "near", "half", "fresh")]
    assert numbers(page) == order


def test_countdowns_are_green_amber_red_and_overdue(as_user, drains):
    """A general ticket has 5 days [SLA-1]: 10 h used is green, 70 h amber, 100 h red (≥ 80 % [SV-1]), 130 h overdue."""
    html = text(as_user("changqing_grid").get("/w/"))
    for name, colour in [("fresh", "green"), ("half", "amber"), ("near", "red"), ("late", "overdue")]:
        card = html.split(f'id="q-{drains[name].number}"', 1)[1].split("</a>", 1)[0]
        assert f"cd-{colour}" in card, name


def test_an_unsigned_ticket_counts_down_to_its_sign_for_deadline_HD_1(as_user, users):
    new = make_ticket(code=CHANGQING, category="0101", received_at=ago(0.25))
    html = text(as_user("changqing_grid").get("/w/"))
    card = html.split(f'id="q-{new.number}"', 1)[1].split("</a>", 1)[0]
    assert 'data-which="sign"' in card and "cd-green" in card


def test_filters_by_urgency_overdue_words_and_done(as_user, drains, users):
    urgent = make_ticket(code=CHANGQING, category="0101", urgency="urgent", description="长青路窨井冒水，淹到小区门口")
    client = as_user("changqing_grid")
    assert numbers(client.get("/w/?urgency=urgent")) == [urgent.number]
    assert numbers(client.get("/w/?overdue=1")) == [drains["late"].number]
    assert numbers(client.get("/w/?q=长青路70号")) == [drains["half"].number]
    assert numbers(client.get("/w/?view=done")) == []
    services.contact_caller(ticket=drains["fresh"], by=users["changqing_grid"], note="电话联系来电人")  # [HD-1]
    services.reply(
        ticket=drains["fresh"],
        by=users["changqing_grid"],
        facts="经现场核实，长青路10号门前雨水井被落叶和垃圾堵塞。",
        result="已组织人员清掏疏通，排水恢复正常，路面已清洗干净。",
        basis="现场核查",
        signer="陈静",
        handler_name="王芳",
    )
    assert numbers(client.get("/w/?view=done")) == [drains["fresh"].number]
    assert drains["fresh"].number not in numbers(client.get("/w/"))


def test_unknown_filter_values_are_ignored_not_errors(as_user, drains):
    response = as_user("changqing_grid").get("/w/?view=nope&urgency=<script>&page=x&overdue=maybe")
    assert response.status_code == 200 and len(numbers(response)) == 4


def test_more_loads_the_next_page(as_user, users):
    for i in range(27):
        make_ticket(code=CHANGQING, category="0201", description=f"长青路{i}号门前垃圾没人清运", received_at=ago(i))
    client = as_user("changqing_grid")
    first = client.get("/w/")
    assert len(numbers(first)) == 25 and "page=2" in text(first)
    second = client.get("/w/?page=2")
    assert len(numbers(second)) == 2 and not set(numbers(second)) & set(numbers(first))


def test_a_department_queue_holds_only_its_own_assignments(as_user, drains):
    heating = make_ticket(code=CHANGQING, category="0701", description="长青社区3号楼暖气管道漏水严重")
    client = as_user("heating_handler")
    assert numbers(client.get("/w/")) == [heating.number]
    assert numbers(client.get("/w/?view=all")) == [heating.number]
