"""The workstation pages in Debian's Chromium: a grid worker of 长青社区 on a phone (390×844) and the
光明路街道 service center at a desk (1280×800), against a real daphne on the test database.

The tickets these tests make are committed (the server is another process) and deleted at the end of the
module, so that the rest of the suite sees the fixtures as they were."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from dispatch.fieldwork.models import Delegation
from dispatch.models import Channel, Status, Ticket
from tests.dispatch.fieldwork.images import HTML_AS_JPEG, image_bytes, phone_exif
from tests.helpers import CHANGQING, label, make_ticket
from tests.servers import new_session

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
PASSWORD = "demo12345"
REPLY = {
    "facts": "经现场核实，长青路12号门前雨水井被落叶和塑料袋堵塞，污水漫到人行道约5米。",
    "result": "已组织保洁人员清掏疏通，排水恢复正常，路面冲洗干净，并在井口加装拦污网。",
    "basis": "《平顶山市城市排水管理办法》及现场核查",
    "signer": "陈静",
}


def photo(name="IMG_2041.jpg") -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": image_bytes("JPEG", exif=phone_exif())}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Committed tickets for the module; everything made after them (also by the browser) goes at the end."""
    with django_db_blocker.unblock():
        first_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        made = {
            "drain": make_ticket(
                code=CHANGQING, category="0101", description="长青路12号门前雨水井堵塞，污水漫到人行道"
            ),
            "late": make_ticket(
                code=CHANGQING,
                category="0202",
                description="楼道里堆满杂物，影响消防通道",
                received_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=130),  # past its 5 days [SLA-1]
            ),
            "neighbour": make_ticket(code="410402002002", category="0101", description="兴业路雨水井堵塞，积水严重"),
            "street": make_ticket(code=CHANGQING, category="0103", description="长青路与新建路口有人占道经营卖水果"),
            "heating": make_ticket(code=CHANGQING, category="0701", description="长青社区3号楼暖气管道漏水严重"),
        }
    yield made
    with django_db_blocker.unblock():
        doomed = Ticket.objects.filter(id__gte=first_id)
        files = [a.file for t in doomed for a in t.attachments.all() if a.file]
        files += [a.photo.thumbnail for t in doomed for a in t.attachments.all() if hasattr(a, "photo")]
        doomed.delete()
        for f in files:
            f.storage.delete(f.name)
        connection.close()


def new_tickets(world) -> list[Ticket]:
    first = min(t.id for t in world.values())
    return list(Ticket.objects.filter(id__gt=max(t.id for t in world.values())).order_by("id")) if first else []


USERS = ("changqing_grid", "guangminglu_handler", "heating_handler")


@pytest.fixture(scope="module")
def sessions(django_db_setup, django_db_blocker):
    """A committed session per user (the login form itself is exercised in the first test)."""
    with django_db_blocker.unblock():
        keys = {username: new_session(username) for username in USERS}
    yield keys
    with django_db_blocker.unblock():
        for key in keys.values():
            SessionStore(session_key=key).delete()


@pytest.fixture
def open_as(browser, live_url, sessions):
    """open_as('changqing_grid', PHONE) → a logged-in page at that size, with the phone at 长青社区."""
    contexts = []

    def make(username: str | None, viewport=PHONE, **options):
        lon, lat = label(CHANGQING)
        context = browser.new_context(
            viewport=viewport,
            locale="zh-CN",
            geolocation={"longitude": lon, "latitude": lat, "accuracy": 15},
            permissions=["geolocation"],
            **options,
        )
        contexts.append(context)
        if username:
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": sessions[username], "url": live_url}])
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda e: page.js_errors.append(str(e)))
        return page

    yield make
    for context in contexts:
        context.close()


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    'main a, main button, main select, main textarea, main summary, main input:not([type=hidden]), .tabbar a'))
  .filter((el) => el.offsetParent !== null && !el.closest('.leaflet-container'))
  .map((el) => {
    const target = (el.type === 'radio' || el.type === 'checkbox' || el.type === 'file') ? el.closest('label') || el : el;
    const r = target.getBoundingClientRect();
    return {tag: el.tagName, text: (el.textContent || el.name || '').trim().slice(0, 30), h: r.height};
  })
  .filter((t) => t.h < 44)"""


def test_a_grid_worker_signs_for_and_replies_with_a_photo_on_a_phone_HD_1_HD_2(open_as, live_url, world):
    page = open_as(None)
    page.goto(f"{live_url}/w/")
    page.fill("input[name=username]", "changqing_grid")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/w/")
    drain, late = world["drain"].number, world["late"].number
    cards = page.locator(".qcard .qnum").all_inner_texts()
    assert cards.index(late) < cards.index(drain)  # the nearest deadline first
    assert world["neighbour"].number not in cards
    no_horizontal_scroll(page)
    screenshot(page, "ws-phone-queue")

    page.click(f"#q-{drain}")
    page.wait_for_url(f"**/w/t/{drain}/")
    page.wait_for_selector("#ticket-map[data-ready='1']")
    assert page.locator("#ticket-status").inner_text() == "已派单，待签收"
    assert "138****1234" in page.locator("#caller").inner_text()
    screenshot(page, "ws-phone-ticket")
    page.get_by_role("button", name="签收", exact=True).click()
    page.wait_for_selector(".flash li")
    assert page.locator("#ticket-status").inner_text() == "办理中"

    # [HD-1] the caller first: the reply to the center needs a recorded contact, or a failed attempt
    contact = page.locator("form[action$='/contact/']")
    contact.locator("xpath=ancestor::details/summary").click()
    form_text = contact.inner_text()
    assert "联系方式" in form_text and "联系结果" in form_text
    contact.locator("[name=contact-note]").fill("上门两次无人应答，已在门上留联系卡")
    contact.locator("button[type=submit]").click()  # how and whether reached are not chosen: the phone says so
    assert contact.locator("[name=contact-means]").evaluate("e => e.validity.valueMissing")
    assert page.url.endswith(f"/w/t/{drain}/")
    contact.locator("[name=contact-means]").select_option("visit")
    contact.locator("[name=contact-outcome]").select_option("failed")
    assert contact.locator("[name=contact-means] option:checked").inner_text() == "上门走访"
    assert contact.locator("[name=contact-outcome] option:checked").inner_text() == "联系诉求人未果"
    contact.scroll_into_view_if_needed()
    no_horizontal_scroll(page)
    screenshot(page, "ws-phone-contact")
    contact.locator("button[type=submit]").click()
    page.wait_for_selector(".flash li")
    assert "联系诉求人未果" in page.locator("#history").inner_text()  # a fact on record, not a contact

    page.locator("#act-reply summary").click()
    reply = page.locator("#act-reply form")
    for field, value in REPLY.items():
        reply.locator(f"[name=reply-{field}]").fill(value)
    assert reply.locator("[name=reply-handler_name]").input_value() == "王芳"
    reply.locator("input[type=file]").set_input_files(photo())
    page.wait_for_selector("#act-reply .photo-previews img")
    reply.get_by_role("button", name="提交答复").click()
    page.wait_for_selector(".flash li")
    assert page.locator("#ticket-status").inner_text() == "已答复，待审核"
    history = page.locator("#history").inner_text()
    assert "已答复" in history and "已添加照片" in history and "已签收" in history
    assert page.locator(".photos img").count() == 1
    page.locator(".photos img").scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('.photos img').naturalWidth > 0")  # the thumbnail is served
    no_horizontal_scroll(page)
    screenshot(page, "ws-phone-replied")
    ticket = Ticket.objects.get(number=drain)
    assert ticket.status == Status.REPLIED and ticket.attachments.count() == 1
    attempt = ticket.contacts.get()
    assert (attempt.means, attempt.outcome) == ("visit", "failed") and ticket.contacted_at is None
    assert not page.js_errors, page.js_errors


def test_a_patrol_report_at_the_phones_position_goes_to_changqings_workstation_ORG_5(open_as, live_url, world):
    page = open_as("changqing_grid")
    page.goto(f"{live_url}/w/report/")
    page.wait_for_selector("#report-map[data-ready='1']")
    page.click("#locate-me")
    page.fill("#category-search", "下水道")
    assert page.locator(".cat:visible").count() == 1
    page.click("label.cat:has(input[value='0101'])")
    page.wait_for_function("document.getElementById('where').textContent.includes('长青社区工作站')")
    page.fill("textarea[name=description]", "巡查发现长青路东段雨水井盖下堵塞，路面积水约10米")
    page.set_input_files("input[name=photos]", photo("patrol.jpg"))
    no_horizontal_scroll(page)
    screenshot(page, "ws-phone-report")
    page.click("#report-submit")
    page.wait_for_url(re.compile(r".*/w/t/PDS-.*"))
    assert "长青社区工作站" in page.locator(".flash").inner_text()
    ticket = new_tickets(world)[-1]
    assert ticket.channel == Channel.GRID_WORKER and ticket.community_code == CHANGQING
    assert ticket.assignments.get(role="lead").office.name == "长青社区工作站"
    assert ticket.attachments.get().photo.exif_point is not None
    assert not page.js_errors, page.js_errors


def test_a_report_made_offline_is_kept_and_sent_exactly_once_when_back_online(open_as, live_url, world):
    page = open_as("changqing_grid")
    page.goto(f"{live_url}/w/report/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_selector("#report-map[data-ready='1']")
    page.click("#locate-me")
    page.wait_for_function("document.getElementById('where').textContent.length > 0")
    page.context.set_offline(True)
    # with no network the page itself still opens, from the phone
    page.reload()
    page.wait_for_selector("#report-form")
    assert page.locator("#offline-banner").is_visible()
    page.click("#locate-me")
    page.wait_for_function("document.querySelector('input[name=lat]').value !== ''")
    page.click("label.cat:has(input[value='0202'])")
    words = "离线上报：长青社区5号楼下堆放大量建筑垃圾"
    page.fill("textarea[name=description]", words)
    page.set_input_files("input[name=photos]", photo("offline.jpg"))
    page.click("#report-submit")
    page.wait_for_selector("#report-result:not([hidden])")
    assert "保存在手机上" in page.locator("#report-result").inner_text()
    assert page.locator("#outbox-items li").count() == 1
    screenshot(page, "ws-phone-offline")
    assert not Ticket.objects.filter(description=words).exists()

    page.context.set_offline(False)
    page.wait_for_function("document.querySelectorAll('#outbox-items li').length === 0", timeout=15000)
    page.wait_for_selector("#report-result:has-text('已发送')")
    page.reload()  # another flush finds nothing to send
    page.wait_for_timeout(500)
    made = Ticket.objects.filter(description=words)
    assert made.count() == 1
    ticket = made.get()
    assert ticket.idempotency_key.split("|", 1)[1].startswith("patrol:") and ticket.attachments.count() == 1
    assert ticket.assignments.get(role="lead").office.name == "长青社区工作站"


def test_a_typed_address_is_previewed_and_bad_photos_are_refused_with_clear_messages(open_as, live_url, world):
    page = open_as("changqing_grid")
    page.goto(f"{live_url}/w/report/")
    page.set_input_files(
        "input[name=photos]", {"name": "big.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * (10 * 1024 * 1024 + 10)}
    )
    assert "big.jpg 超过10 MB" in page.locator("[data-field=photos] .photo-problems").inner_text()
    page.click("label.cat:has(input[value='0201'])")
    page.fill("textarea[name=description]", "长青路垃圾桶满了没人清运")
    page.fill("input[name=address]", "新华区新建路与长青路交叉口东北角")  # typed, and geocoded to preview it
    page.wait_for_function("document.getElementById('where').textContent.includes('社区工作站')")
    assert "光明路街道" in page.locator("#where").inner_text()
    page.click("#report-submit")  # refused on the phone: nothing is sent
    page.set_input_files("input[name=photos]", {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": HTML_AS_JPEG})
    page.click("#report-submit")
    error = page.locator("[data-field=photos] .js-error")
    error.wait_for()
    assert "photo.jpg 不是照片" in error.inner_text()
    assert page.locator("textarea[name=description]").input_value() == "长青路垃圾桶满了没人清运"  # kept
    screenshot(page, "ws-phone-upload-refused")
    assert not Ticket.objects.filter(description="长青路垃圾桶满了没人清运").exists()


def test_denials_another_communitys_ticket_a_departments_scope_and_the_desk(open_as, live_url, world):
    page = open_as("changqing_grid")
    response = page.goto(f"{live_url}/w/t/{world['neighbour'].number}/")
    assert response.status == 404
    assert page.request.get(f"{live_url}/api/tickets/{world['neighbour'].number}/").status == 404
    assert page.goto(f"{live_url}/w/desk/").status == 403
    assert "工作台仅供" in page.locator("main").inner_text()
    heating = open_as("heating_handler")
    heating.goto(f"{live_url}/w/?view=all")
    assert heating.locator(".qcard .qnum").all_inner_texts() == [world["heating"].number]
    assert heating.goto(f"{live_url}/w/t/{world['drain'].number}/").status == 404


def test_the_service_center_assigns_at_its_desk_and_reviews_the_communitys_reply_HD_3(open_as, live_url, world):
    street = world["street"].number
    desk = open_as("guangminglu_handler", DESK)
    desk.goto(f"{live_url}/w/desk/")
    rows = desk.locator(".desk-table tbody tr").evaluate_all("rs => rs.map(r => r.id.slice(4))")
    assert rows.index(world["late"].number) < rows.index(street)  # overdue first
    row = desk.locator(f"#row-{street}")
    row.locator("select").select_option(label="长青社区工作站 · 王芳 · 网格员")
    row.get_by_role("button", name="交办").click()
    desk.wait_for_selector(f"#row-{street} .chip-delegated")
    assert "王芳" in desk.locator(f"#row-{street}").inner_text()
    no_horizontal_scroll(desk)

    phone = open_as("changqing_grid")
    phone.goto(f"{live_url}/w/?mine=1")
    assert phone.locator(".qcard .qnum").all_inner_texts() == [street]
    phone.goto(f"{live_url}/w/t/{street}/")
    phone.get_by_role("button", name="签收", exact=True).click()
    phone.wait_for_selector(".flash li")
    contact = phone.locator("form[action$='/contact/']")  # [HD-1] the caller first
    contact.locator("xpath=ancestor::details/summary").click()
    contact.locator("[name=contact-means]").select_option("phone")
    contact.locator("[name=contact-outcome]").select_option("reached")
    contact.locator("[name=contact-note]").fill("电话联系来电人，约定到场时间")
    contact.locator("button[type=submit]").click()
    phone.wait_for_selector(".flash li")
    phone.locator("#act-reply summary").click()
    for field, value in REPLY.items():
        phone.fill(f"[name=reply-{field}]", value.replace("雨水井", "路口").replace("排水", "通行"))
    phone.get_by_role("button", name="提交服务中心审核").click()
    phone.wait_for_selector(".flash li")
    assert Ticket.objects.get(number=street).status == Status.IN_PROGRESS  # not up yet: the township reviews

    desk.goto(f"{live_url}/w/desk/?state=review")
    assert desk.locator("#review").is_visible()
    screenshot(desk, "ws-desk-review")
    desk.click(f"#review a:has-text('{street}')")
    desk.fill("[name=approve-signer]", "刘洋")
    desk.get_by_role("button", name="审核通过并上报").click()
    desk.wait_for_selector(".flash li")
    assert desk.locator("#ticket-status").inner_text() == "已答复，待审核"
    ticket = Ticket.objects.get(number=street)
    assert ticket.status == Status.REPLIED and ticket.replies.get().signer == "刘洋"
    assert Delegation.objects.get(ticket=ticket).state == Delegation.State.APPROVED
    desk.goto(f"{live_url}/w/desk/")
    screenshot(desk, "ws-desk")
    assert not desk.js_errors and not phone.js_errors


@pytest.mark.parametrize(
    "username, path",
    [
        ("changqing_grid", "/w/"),
        ("changqing_grid", "/w/report/"),
        ("changqing_grid", "ticket"),
        ("guangminglu_handler", "/w/desk/"),
    ],
)
def test_no_horizontal_scrolling_at_360_px_and_tap_targets_of_44_px(open_as, live_url, world, username, path):
    page = open_as(username, {"width": 360, "height": 740})
    page.goto(f"{live_url}{path if path != 'ticket' else '/w/t/' + world['late'].number + '/'}")
    page.wait_for_load_state("networkidle")
    no_horizontal_scroll(page)
    small = page.evaluate(SMALL_TARGETS)
    assert not small, small
