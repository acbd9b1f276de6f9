"""Who sees what on the workstation pages: one scope selector, and every denial is a 404 (or 403 for a page
the role may not open). A worker of 长青社区 never sees, nor acts on, another community's ticket."""

import pytest
from django.test import Client

from core.photos import clean_photos
from dispatch.fieldwork.services import add_photos
from dispatch.models import Status
from grid.models import User
from tests.dispatch.fieldwork.images import phone_photo
from tests.helpers import CHANGQING, XIATANG, make_ticket

from .conftest import numbers, text

pytestmark = pytest.mark.django_db

ACTIONS = [
    "sign-for",
    "accept",
    "contact",
    "reply",
    "return",
    "hand-back",
    "request-extension",
    "delegate",
    "withdraw",
    "approve",
    "send-back-draft",
    "photos",
]


@pytest.fixture
def neighbour(users):
    """A drain blockage in 建设街社区 (the next community of 光明路街道), with a photo."""
    t = make_ticket(code="410402002002", category="0101", caller_phone="13900001111")
    add_photos(ticket=t, by=users["guangminglu_grid2"], photos=clean_photos([phone_photo()]))
    return t


def test_a_changqing_worker_gets_404_for_another_communitys_ticket_from_page_api_and_files(as_user, neighbour):
    client = as_user("changqing_grid")
    assert client.get(f"/w/t/{neighbour.number}/").status_code == 404
    assert client.get(f"/api/tickets/{neighbour.number}/").status_code == 404
    attachment = neighbour.attachments.get()
    assert client.get(attachment.file.url).status_code == 404
    assert client.get(attachment.photo.thumbnail.url).status_code == 404
    # the neighbour's own worker does see all of it
    mine = as_user("guangminglu_grid2")
    assert mine.get(f"/w/t/{neighbour.number}/").status_code == 200
    assert mine.get(attachment.file.url).status_code == 200


@pytest.mark.parametrize("action", ACTIONS)
def test_a_changqing_worker_cannot_act_on_another_communitys_ticket(as_user, neighbour, action):
    client = as_user("changqing_grid")
    response = client.post(
        f"/w/t/{neighbour.number}/{action}/",
        {f"{action}-note": "x", f"{action}-reason": "不是我们社区的", f"{action}-target": "office:WS-410402002005"},
    )
    assert response.status_code == 404
    neighbour.refresh_from_db()
    assert neighbour.status == Status.DISPATCHED and neighbour.events.count() == 2  # intake and photos only


def test_the_ticket_list_never_shows_another_communitys_ticket(as_user, neighbour):
    client = as_user("changqing_grid")
    for url in ("/w/", "/w/?view=all", "/w/?view=done", f"/w/?q={neighbour.number}"):
        assert neighbour.number not in numbers(client.get(url)), url


def test_a_department_sees_only_its_own_assignments(as_user):
    drain = make_ticket(code=CHANGQING, category="0101")
    heating = make_ticket(code=CHANGQING, category="0701", description="长青社区3号楼暖气管道漏水严重")
    water = as_user("water_handler")
    assert water.get(f"/w/t/{heating.number}/").status_code == 404
    assert water.get(f"/w/t/{drain.number}/").status_code == 404
    assert water.post(f"/w/t/{heating.number}/sign-for/").status_code == 404
    heat = as_user("heating_handler")
    assert heat.get(f"/w/t/{heating.number}/").status_code == 200
    assert heat.get(f"/w/t/{drain.number}/").status_code == 404


def test_the_desk_is_only_for_township_service_centers(as_user):
    for username in ("changqing_grid", "changqing_head", "heating_handler", "wall_viewer"):
        assert as_user(username).get("/w/desk/").status_code == 403, username
    assert as_user("guangminglu_handler").get("/w/desk/").status_code == 200


def test_a_township_cannot_assign_another_townships_ticket_from_its_desk(as_user):
    far = make_ticket(code=XIATANG, category="0103", description="下汤镇集市有人占道经营")
    response = as_user("guangminglu_handler").post(
        "/w/desk/", {"number": far.number, f"assign-{far.number}-target": "office:WS-410402002005"}
    )
    assert response.status_code == 404
    assert not far.delegations.exists()


def test_the_caller_is_masked_on_the_page_for_those_who_do_not_call_back_IN_2(as_user):
    drain = make_ticket(code=CHANGQING, category="0101", caller_name="王芳", caller_phone="13812341234")
    page = text(as_user("changqing_grid").get(f"/w/t/{drain.number}/"))
    assert "138****1234" in page and "13812341234" not in page and "王*" in page


def test_the_pages_need_a_login_and_an_office(client, users):
    assert client.get("/w/").status_code == 302 and "/accounts/login/" in client.get("/w/")["Location"]
    answer = client.post("/w/report/", HTTP_ACCEPT="application/json")
    assert answer.status_code == 401 and answer.json()["code"] == "login"
    loner = User.objects.create_user("loner", password="x-12345678")
    client.force_login(loner)
    assert client.get("/w/").status_code == 403
    assert client.get("/w/report/").status_code == 403


def test_every_form_needs_its_csrf_token(users):
    drain = make_ticket(code=CHANGQING, category="0101")
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["changqing_grid"])
    assert client.post(f"/w/t/{drain.number}/sign-for/").status_code == 403
    assert client.post("/w/report/", {"description": "x"}).status_code == 403
    drain.refresh_from_db()
    assert drain.status == Status.DISPATCHED
    page = text(client.get(f"/w/t/{drain.number}/"))
    assert page.count('name="csrfmiddlewaretoken"') >= page.count("<form")
