"""The README's demo walk-through, done by the browser: one request's day across five faces of the system.

1. The city call-taker's console: a simulated PBX rings seat 8001, the call pops up, the call-taker types
   and dispatches with the keyboard [CT-1][AS-1]; the wall, open in another window, shows the new ticket
   without a reload [AN-3].
2. The 长青社区 grid worker's phone: sign for, the contact with the caller [HD-1], the reply with its
   fields and a photo [HD-2].
3. The center's review desk: the reply beside the request, accepted [HD-3]; the callback SMS goes out.
4. The caller answers the SMS "1" through the gateway's webhook [CB-2]: the ticket is archived, satisfied.
5. The caller follows the request on the citizen's page by its number and the last four digits [PUB-1].

The screenshots of README's "A ticket's day" section come from this test (tests/artifacts/walkthrough-*.png).
Everything it makes is committed (the server is another process) and removed at the end.
"""

from __future__ import annotations

import io
import json
import re
import threading

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

from dispatch.models import InboundMessage, Status, Ticket
from tests.dispatch.fieldwork.images import image_bytes, phone_exif
from tests.helpers import CHANGQING, label

from .conftest import console_seat, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

CALLER = "13955558888"
COMPLAINT = "长青社区长青路18号门口下水道堵塞，污水漫到人行道上，走路都得绕开"
REPLY = {
    "facts": "经现场核实，长青路18号门前污水井被油污和杂物堵塞，污水漫到人行道约6米。",
    "result": "已组织疏通污水井并冲洗路面，排水恢复正常；已告知沿街商户不得向井内倾倒油污。",
    "basis": "《平顶山市城市排水管理办法》及现场核查",
    "signer": "陈静",
}
USERS = ("city_calltaker", "changqing_grid", "city_dispatcher", "wall_viewer")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Committed: the call-taker at seat 8001 (console_seat) and a session per user; removed at the end with
    the gateway's messages."""
    with django_db_blocker.unblock():
        first_sms = (InboundMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    with console_seat(django_db_blocker, users=USERS, pbx="walk-through PBX") as seat:
        yield {**seat, "blocker": django_db_blocker}
        with django_db_blocker.unblock():
            InboundMessage.objects.filter(id__gte=first_sms).delete()


def window(browser, live_url, world, username, viewport, **options):
    context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
    if username:
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": world["sessions"][username], "url": live_url}]
        )
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda e: page.js_errors.append(str(e)))
    return page


def committed(call):
    """Run call on a connection of its own, so that what it writes is committed for the server to see (the
    test's own connection is inside the test's transaction)."""
    out = {}

    def run():
        try:
            with override_settings(DISPATCH_SMS_INBOUND_TOKEN="walk-token"):
                out["value"] = call()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out["value"]


def ticket(world, number) -> Ticket:
    with world["blocker"].unblock():
        return Ticket.objects.get(number=number)


def test_a_call_becomes_a_ticket_that_is_handled_reviewed_called_back_and_followed(browser, live_url, world):
    # 0. The wall is on, the call-taker on seat.
    wall = window(browser, live_url, world, "wall_viewer", {"width": 1920, "height": 1080})
    wall.goto(f"{live_url}/maps/wall/")
    wall.wait_for_function("document.body.dataset.refreshed && document.getElementById('map').dataset.areasLoaded")
    console = window(browser, live_url, world, "city_calltaker", {"width": 1366, "height": 768})
    console.goto(f"{live_url}/center/")
    console.wait_for_selector("#cc-conn[data-state='open']", timeout=20000)

    # 1. The PBX rings seat 8001; the caller's number pops up, the call-taker types and dispatches.
    call_command(
        "simulate_call",
        extension="8001",
        caller=CALLER,
        url=live_url,
        token=world["token"],
        call_id="walk-1",
        answer_after=0.5,
        no_hangup=True,
        stdout=io.StringIO(),
    )
    console.wait_for_selector(f"#call-caller:has-text('{CALLER}')", timeout=10000)
    console.wait_for_selector("#call-state[data-state='answered']")
    console.keyboard.type(COMPLAINT)
    console.wait_for_selector("#cat-alts .cc-alt", timeout=30000)
    console.wait_for_selector("#sg-route b", timeout=30000)
    console.keyboard.press("Tab")
    console.keyboard.press("Tab")
    console.keyboard.type("周女士")
    console.keyboard.press("Alt+1")
    screenshot(console, "walkthrough-1-console-typing")
    console.keyboard.press("Control+Enter")
    console.wait_for_selector("#result[data-kind='ok']", timeout=30000)
    number = console.get_attribute("#result", "data-number")
    screenshot(console, "walkthrough-1-console-dispatched")
    made = ticket(world, number)
    assert made.status == Status.DISPATCHED and made.channel == "phone" and made.caller_phone == CALLER
    assert made.community_code == CHANGQING
    assert made.address == "新华区 / 光明路街道 / 长青社区居民委员会 长青路18号"  # the area once, then the street

    # ... and the wall shows it at once.
    wall.wait_for_selector(f'#feed li[data-number="{number}"]', timeout=15000)
    # the push is followed by a refetch of the counters and the map: the new ticket counts as open
    wall.wait_for_function(
        "() => Number(document.querySelector('[data-counter=\"open\"] .value').textContent) >= 1", timeout=15000
    )
    wall.wait_for_timeout(500)
    screenshot(wall, "walkthrough-1-wall")

    # 2. The grid worker of 长青社区, on a phone at the place: sign for, call the caller, reply with a photo.
    lon, lat = label(CHANGQING)
    phone = window(
        browser,
        live_url,
        world,
        "changqing_grid",
        {"width": 390, "height": 844},
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 15},
        permissions=["geolocation"],
    )
    phone.goto(f"{live_url}/w/")
    assert number in phone.locator(".qcard .qnum").all_inner_texts()
    phone.click(f"#q-{number}")
    phone.wait_for_url(f"**/w/t/{number}/")
    phone.get_by_role("button", name="签收", exact=True).click()
    phone.wait_for_selector(".flash li")
    contact = phone.locator("form[action$='/contact/']")
    contact.locator("xpath=ancestor::details/summary").click()
    contact.locator("[name=contact-means]").select_option("phone")
    contact.locator("[name=contact-outcome]").select_option("reached")
    contact.locator("[name=contact-note]").fill("电话联系周女士，约定今天下午到场查看")
    contact.locator("button[type=submit]").click()
    phone.wait_for_selector(".flash li")
    phone.locator("#act-reply summary").click()
    form = phone.locator("#act-reply form")
    for field, value in REPLY.items():
        form.locator(f"[name=reply-{field}]").fill(value)
    form.locator("input[type=file]").set_input_files(
        {"name": "IMG_3001.jpg", "mimeType": "image/jpeg", "buffer": image_bytes("JPEG", exif=phone_exif())}
    )
    phone.wait_for_selector("#act-reply .photo-previews img")
    screenshot(phone, "walkthrough-2-phone-reply")
    form.get_by_role("button", name="提交答复").click()
    phone.wait_for_selector(".flash li")
    assert ticket(world, number).status == Status.REPLIED

    # 3. The center's review desk: the reply beside the request, accepted.
    desk = window(browser, live_url, world, "city_dispatcher", {"width": 1400, "height": 1000})
    desk.goto(f"{live_url}/desks/review/")
    assert number in desk.locator("#review-queue").inner_text()
    desk.goto(f"{live_url}/desks/t/{number}/?from=review")
    desk.wait_for_selector("#reply")
    assert REPLY["basis"] in desk.inner_text("#reply")
    screenshot(desk, "walkthrough-3-review")
    desk.wait_for_selector("details.act-accept-reply")  # open: the page came from the review queue
    desk.click("#form-accept-reply button[type=submit]")
    desk.wait_for_selector(".flash")
    assert ticket(world, number).status == Status.CLOSED

    # 4. The caller answers the callback SMS with "1" (满意), through the gateway's webhook.
    answer = committed(
        lambda: Client().post(
            "/desks/sms/inbound",
            json.dumps({"id": f"walk-sms-{number}", "from": CALLER, "text": "1"}),
            content_type="application/json",
            HTTP_AUTHORIZATION="Bearer walk-token",
        )
    )
    assert answer.status_code == 200 and answer.json()["outcome"] == "recorded", answer.content
    done = ticket(world, number)
    assert (done.status, done.satisfaction) == (Status.ARCHIVED, "satisfied")

    # 5. The caller follows the request on a phone by its number and the last four digits.
    citizen = window(browser, live_url, world, None, {"width": 390, "height": 844})
    citizen.goto(f"{live_url}/m/track/?number={number}")
    citizen.fill("#id_n-last4", CALLER[-4:])
    citizen.click("form:has(#id_n-last4) button[type=submit]")
    citizen.wait_for_url(re.compile(rf"/m/r/{number}/"))
    assert REPLY["result"][:10] in citizen.inner_text("body")
    assert citizen.inner_text("#status") == "已完结"
    screenshot(citizen, "walkthrough-4-citizen")

    for page in (wall, console, phone, desk, citizen):
        assert not page.js_errors, (page.url, page.js_errors)
        page.context.close()
