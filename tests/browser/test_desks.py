"""The center's desks in Chromium [AS-3][HD-3][CB-2][SLA-4][CT-5][SV-2]: a return approved to a new unit, a reply
sent back and then accepted, an SMS "3" turned into a manual callback and rework, a ticket split into two items
for two units, a duplicate merged with its caller shown on the kept ticket; and the wall's clock in the city's
time zone. The data is committed (the server is another process) and removed at the end of the module."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client, override_settings

from dispatch import services
from dispatch.models import AdditionalCaller, Assignment, InboundMessage, Reply, Status, Ticket
from grid.models import User
from tests.helpers import WATER_REPLY, closed_water_ticket, make_ticket
from tests.servers import new_session

from .conftest import screenshot

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        first_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        first_sms = (InboundMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        users = {
            u.username: u
            for u in User.objects.filter(username__in=["city_dispatcher", "changqing_head", "water_handler"])
        }
        keys = {"city_dispatcher": new_session("city_dispatcher")}
    yield {"sessions": keys, "users": users, "blocker": django_db_blocker}
    with django_db_blocker.unblock():
        InboundMessage.objects.filter(id__gte=first_sms).delete()
        Ticket.objects.filter(id__gte=first_id).delete()
        for key in keys.values():
            SessionStore(session_key=key).delete()
        connection.close()


@pytest.fixture
def desk(browser, live_url, world):
    """A page logged in as the city dispatcher; db() runs ORM code committed, for the server to see."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": world["sessions"]["city_dispatcher"], "url": live_url}]
    )
    page = context.new_page()
    page.base = live_url
    yield page
    context.close()


def db(world):
    return world["blocker"].unblock()


def open_action(page, name: str):
    page.click(f"details.act-{name} > summary")


def status_of(world, ticket) -> str:
    with db(world):
        return Ticket.objects.get(pk=ticket.pk).status


def test_a_return_is_approved_and_re_dispatched_to_a_new_unit_AS_3(desk, world):
    with db(world):
        ticket = make_ticket(category="0101", description="长青路下水道主管网破裂，污水外溢")
        services.request_return(
            ticket=ticket,
            by=world["users"]["changqing_head"],
            reason="主管网属市政，不属社区",
            suggested_office="DEPT-water",
        )
    desk.goto(desk.base + "/desks/rulings/")
    desk.click(f"#returns a:has-text('{ticket.number}')")
    desk.wait_for_selector("details.act-approve-return")
    assert "主管网属市政" in desk.inner_text("#units")
    screenshot(desk, "desks-ruling-return")
    desk.fill("#form-approve-return input[name='approve-return-office']", "DEPT-housing")
    desk.fill("#form-approve-return textarea[name='approve-return-note']", "主管网归住建局，同意改派")
    desk.click("#form-approve-return button[type=submit]")
    desk.wait_for_selector(".flash")
    assert status_of(world, ticket) == Status.DISPATCHED
    with db(world):
        lead = Assignment.objects.get(ticket=ticket, is_active=True, role="lead")
        assert lead.office.code == "DEPT-housing"
    screenshot(desk, "desks-ruling-return-approved")


def test_a_reply_is_sent_back_and_then_accepted_HD_3(desk, world):
    users = world["users"]
    with db(world):
        ticket = make_ticket(category="0801", description="长青社区停水一整天了没有通知")
        services.sign_for(ticket=ticket, by=users["water_handler"])
        services.contact_caller(ticket=ticket, by=users["water_handler"], note="电话告知恢复供水时间")
        services.reply(ticket=ticket, by=users["water_handler"], **WATER_REPLY)
    desk.goto(desk.base + "/desks/review/")
    assert desk.locator("#review-queue tbody tr").count() >= 1
    desk.goto(desk.base + f"/desks/t/{ticket.number}/?from=review")
    desk.wait_for_selector("#reply")
    assert WATER_REPLY["basis"] in desk.inner_text("#reply")
    screenshot(desk, "desks-review-reply")
    open_action(desk, "send-back")
    desk.check("#form-send-back input[value='photos']")
    desk.fill("#form-send-back textarea", "请补充恢复供水后的现场照片")
    desk.click("#form-send-back button[type=submit]")
    desk.wait_for_selector(".flash")
    assert status_of(world, ticket) == Status.IN_PROGRESS
    with db(world):
        assert "缺少" in Reply.objects.get(ticket=ticket, review="sent_back").review_note
        services.reply(ticket=ticket, by=users["water_handler"], **WATER_REPLY)
    desk.goto(desk.base + f"/desks/t/{ticket.number}/")
    desk.wait_for_selector("details.act-accept-reply")
    desk.click("#form-accept-reply button[type=submit]")
    desk.wait_for_selector(".flash")
    assert status_of(world, ticket) == Status.CLOSED
    screenshot(desk, "desks-review-accepted")


def test_an_sms_3_becomes_a_manual_callback_and_then_rework_CB_2_SLA_4(desk, world):
    with db(world):
        ticket = closed_water_ticket(world["users"] | {"city_dispatcher": world["users"]["city_dispatcher"]})
        with override_settings(DISPATCH_SMS_INBOUND_TOKEN="t0ken"):
            answer = Client().post(
                "/desks/sms/inbound",
                json.dumps({"id": f"sms-{ticket.pk}", "from": ticket.caller_phone, "text": "3"}),
                content_type="application/json",
                HTTP_AUTHORIZATION="Bearer t0ken",
            )
        assert answer.json()["outcome"] == "recorded"
    assert status_of(world, ticket) == Status.CALLBACK_MANUAL
    desk.goto(desk.base + "/desks/callbacks/")
    assert ticket.number in desk.inner_text("#callbacks")
    screenshot(desk, "desks-callbacks")
    desk.click(f"#callbacks a:has-text('{ticket.number}')")
    desk.wait_for_selector("details.act-callback")
    desk.check("#form-callback input[value='unsatisfied']")
    desk.fill("#form-callback textarea", "电话回访仍不满意：停水未提前通知")
    desk.click("#form-callback button[type=submit]")
    desk.wait_for_selector(".flash")
    with db(world):
        t = Ticket.objects.get(pk=ticket.pk)
        assert t.status == Status.DISPATCHED and t.step == 2  # [SLA-4] the unit reworks
        assert list(t.events.order_by("at", "id").values_list("action", flat=True))[-3:] == [
            "sms_answer",
            "manual_callback",
            "rework",
        ]
    screenshot(desk, "desks-callback-rework")


def test_a_ticket_is_split_into_two_items_for_two_units_CT_5(desk, world):
    with db(world):
        ticket = make_ticket(category="0101", description="长青路下水道堵塞，而且19号楼暖气一直不热")
    desk.goto(desk.base + f"/desks/t/{ticket.number}/")
    open_action(desk, "split")
    form = "#form-split"
    desk.fill(f"{form} input[name='split-item1_description']", "长青路下水道堵塞")
    desk.fill(f"{form} input[name='split-item1_lead']", "TC-410402002")
    desk.fill(f"{form} input[name='split-item1_days']", "3")
    desk.fill(f"{form} input[name='split-item2_description']", "19号楼暖气不热")
    desk.fill(f"{form} input[name='split-item2_lead']", "DEPT-heating")
    desk.fill(f"{form} input[name='split-item2_days']", "5")
    desk.fill(f"{form} textarea[name='split-note']", "跨部门诉求，拆分为两项分别办理")
    screenshot(desk, "desks-split-form")
    desk.click(f"{form} button[type=submit]")
    desk.wait_for_selector("#split-into")
    screenshot(desk, "desks-split-done")
    with db(world):
        items = list(Ticket.objects.filter(extra__split_from=ticket.number).order_by("number"))
        assert [t.number for t in items] == [f"{ticket.number}-1", f"{ticket.number}-2"]
        leads = [Assignment.objects.get(ticket=t, role="lead", is_active=True).office.code for t in items]
        assert leads == ["TC-410402002", "DEPT-heating"]
        assert Ticket.objects.get(pk=ticket.pk).status == Status.ARCHIVED


def test_a_duplicate_is_merged_and_its_caller_shows_on_the_kept_ticket_SV_2(desk, world):
    with db(world):
        kept = make_ticket(category="0101", description="长青路12号门前下水道堵塞")
        dup = make_ticket(
            category="0101", description="长青路12号下水道堵了", caller_name="李雷", caller_phone="13900002222"
        )
    desk.goto(desk.base + f"/desks/t/{dup.number}/")
    open_action(desk, "merge")
    desk.fill("#form-merge input[name='merge-into']", kept.number)
    desk.fill("#form-merge textarea[name='merge-note']", "同一处下水道堵塞的重复反映")
    desk.click("#form-merge button[type=submit]")
    desk.wait_for_selector("#more-callers")
    assert desk.url.endswith(f"/desks/t/{kept.number}/")
    assert "13900002222" in desk.inner_text("#more-callers") and dup.number in desk.inner_text("#merged")
    screenshot(desk, "desks-merged")
    with db(world):
        assert AdditionalCaller.objects.filter(ticket=kept, phone="13900002222").exists()
        assert Ticket.objects.get(pk=dup.pk).status == Status.ARCHIVED


def test_the_dispatch_desk_shows_the_queue_with_its_suggested_route_AS_1(desk, world):
    with db(world):
        queued = make_ticket(category="", description="反映一个问题：光明路和建设路口晚上很吵还有人摆摊")
    desk.goto(desk.base + "/desks/dispatch/")
    row = desk.locator(f"tr[data-number='{queued.number}']")
    assert "光明路街道" in row.inner_text()
    screenshot(desk, "desks-dispatch-queue")
    row.locator("button[type=submit]").click()
    desk.wait_for_selector(".flash")
    assert status_of(world, queued) == Status.DISPATCHED


def test_the_wall_clock_shows_the_citys_time_zone(browser, live_url, world):
    """A browser in New York still reads Pingdingshan's day and hour on the live desk's clock."""
    context = browser.new_context(locale="zh-CN", timezone_id="America/New_York")
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": world["sessions"]["city_dispatcher"], "url": live_url}]
    )
    page = context.new_page()
    page.goto(live_url + "/maps/live/")
    page.wait_for_function("document.getElementById('clock').textContent.length > 0")
    shown = page.inner_text("#clock")
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    assert f"{now:%Y/%m/%d}" in shown or f"{now - dt.timedelta(seconds=5):%Y/%m/%d}" in shown, shown
    assert f"{now:%H}:" in shown or f"{now - dt.timedelta(minutes=1):%H}:" in shown, shown
    context.close()
