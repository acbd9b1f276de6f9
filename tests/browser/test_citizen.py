"""The citizen's side in Debian's Chromium on a phone (390×844), against a real daphne on the test
database: the whole way from a report with a photo and an SMS code, through the center accepting a reply
(by services here), to the citizen following it and rating it unsatisfied, which opens rework
[IN-1][PUB-2][CB-1][CB-2][SLA-4]. axe-core (npm, pinned in package.json) finds no serious or critical
violation on the public pages; text scales to 200 % and pages work at 360 px without sideways scrolling.

What the tests make is committed (the server is another process) and removed at the end of the module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.dispatch.fieldwork.images import image_bytes, phone_exif
from tests.helpers import CHANGQING, label

from .conftest import ROOT, screenshot

pytestmark = [pytest.mark.browser]

PHONE_VIEW = {"width": 390, "height": 844}
NARROW = {"width": 360, "height": 740}
CALLER_PHONE = "13700001234"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PUBLIC_PAGES = ["/m/", "/m/track/", "/m/public/", "/m/public/map/"]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One public closed case already in the record; everything made after it goes at the end."""
    box = {}

    def seed():
        from django.test import Client

        from dispatch.models import Ticket
        from grid.models import User
        from tests.citizen.helpers import file_report, forget_limits, make_public_closed

        box["first_id"] = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        users = {u.username: u for u in User.objects.all()}
        box["public"] = make_public_closed(
            file_report(Client(), phone="13600005678", description="长青路与建设路口的路灯坏了好几天，晚上很黑"),
            users,
        ).number
        forget_limits()

    committed(django_db_blocker, seed)
    yield box

    def cleanup():
        from citizen.models import PhoneCode
        from core.models import RateCounter
        from dispatch.models import OutboundMessage, Ticket

        doomed = Ticket.objects.filter(id__gte=box["first_id"])
        files = [a.file for t in doomed for a in t.attachments.all() if a.file]
        from grid.models import User

        OutboundMessage.objects.filter(purpose="citizen_code").delete()
        User.objects.filter(username__startswith="test-").delete()
        doomed.delete()
        PhoneCode.objects.all().delete()
        RateCounter.objects.filter(bucket__startswith="citizen:").delete()
        for f in files:
            f.storage.delete(f.name)

    committed(django_db_blocker, cleanup)


def committed(django_db_blocker, fn):
    """fn's answer, run on this thread's connection outside any transaction (autocommit), so that the
    server process sees what it writes."""
    with django_db_blocker.unblock():
        return fn()


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


def test_report_follow_and_rate_unsatisfied_on_a_phone_opens_rework(browser, live_url, world, django_db_blocker):
    lon, lat = committed(django_db_blocker, lambda: label(CHANGQING))
    context = browser.new_context(
        viewport=PHONE_VIEW,
        locale="zh-CN",
        geolocation={"longitude": lon, "latitude": lat},
        permissions=["geolocation"],
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # 1. Report: describe, the phone's position, a photo, public, name and phone, a code by SMS.
    page.goto(live_url + "/m/")
    page.wait_for_selector("#pick-map.leaflet-container")
    page.fill("#id_description", "长青路12号门前的路灯坏了三天，晚上一片漆黑，老人走路摔倒了")
    page.click("#use-position")
    page.wait_for_function("() => document.getElementById('id_lon').value !== ''")
    page.set_input_files(
        "#id_photos",
        files=[{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": image_bytes("JPEG", exif=phone_exif())}],
    )
    assert page.locator("#photo-list li").count() == 1
    page.check("#id_public")
    page.fill("#id_name", "李娜")
    page.fill("#id_phone", CALLER_PHONE)
    page.click("#send-code")
    page.wait_for_selector("#code-status.ok")

    def last_code():
        from dispatch.models import OutboundMessage

        msg = OutboundMessage.objects.filter(purpose="citizen_code", to_number=CALLER_PHONE).order_by("-id").first()
        return re.search(r"\d{6}", msg.text).group(0)

    page.fill("#id_code", committed(django_db_blocker, last_code))
    screenshot(page, "citizen-report-phone")
    page.screenshot(path=str(Path(screenshot(page, "citizen-report-phone-full")).with_suffix(".png")), full_page=True)
    page.click("#submit-report")
    page.wait_for_url(re.compile(r"/m/r/PDS-"))
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert "PDS-" in number and page.locator("h1").inner_text().endswith(number)
    screenshot(page, "citizen-request-received")

    def check_intake():
        from citizen.models import CitizenReport
        from dispatch.models import Ticket

        t = Ticket.objects.get(number=number)
        return (
            t.channel,
            t.caller_phone,
            t.attachments.count(),
            CitizenReport.objects.get(ticket=t).public,
            t.township_code,
        )

    assert committed(django_db_blocker, check_intake) == ("h5", CALLER_PHONE, 1, True, "410402002")

    # 2. The center dispatches, the township replies, the center accepts the reply (services).
    def center_accepts():
        from dispatch.models import Ticket
        from grid.models import User
        from tests.citizen.helpers import close_with_reply

        users = {u.username: u for u in User.objects.select_related("office")}
        close_with_reply(
            Ticket.objects.get(number=number),
            users,
            {
                "facts": "经现场核实，长青路12号门前路灯因电缆被施工挖断而不亮。",
                "result": "已联系供电部门接通电缆，路灯于当晚恢复照明，已告知市民。",
                "basis": "《城市道路照明设施管理规定》",
                "signer": "街道办 王主任",
                "handler_name": "周晓东",
            },
        )

    committed(django_db_blocker, center_accepts)

    # 3. The citizen follows it: the timeline in plain words and the accepted reply; no handler's name.
    page.reload()
    page.wait_for_selector("#reply")
    body = page.locator("main").inner_text()
    assert "已联系供电部门接通电缆" in body
    assert "周晓东" not in body and "王主任" not in body
    assert axe_violations(page) == []
    screenshot(page, "citizen-request-replied")

    # 4. Rates it unsatisfied with a comment: this is the callback, and rework opens.
    page.locator("input[name=satisfaction][value=unsatisfied]").check()
    page.fill("#id_comment", "晚上去看还是不亮，请再来看看")
    page.click("#rate button[type=submit]")
    page.wait_for_selector("#rate", state="detached")
    body = page.locator("main").inner_text()
    assert "不满意" in body and "晚上去看还是不亮" in body
    page.screenshot(path=str(ROOT / "tests" / "artifacts" / "citizen-request-rated.png"), full_page=True)

    def after():
        from dispatch.models import Ticket

        t = Ticket.objects.get(number=number)
        return (
            t.status,
            t.step,
            t.callback_channel,
            list(t.events.order_by("at", "id").values_list("action", flat=True))[-2:],
        )

    assert committed(django_db_blocker, after) == ("dispatched", 2, "citizen", ["manual_callback", "rework"])

    # 5. Another browser, by the number and the last four digits: read-only, no rating.
    other = browser.new_context(viewport=PHONE_VIEW, locale="zh-CN").new_page()
    other.goto(live_url + f"/m/track/?number={number}")
    other.fill("#id_n-last4", CALLER_PHONE[-4:])
    other.click("form:has(#id_n-last4) button[type=submit]")
    other.wait_for_url(re.compile(rf"/m/r/{number}/"))
    assert other.locator("#rate").count() == 0
    other.context.close()
    assert errors == []
    context.close()


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_axe_finds_no_serious_or_critical_violation_on_the_public_pages(browser, live_url, world, path):
    for lang in ("zh-CN", "en-US"):
        context = browser.new_context(viewport=PHONE_VIEW, locale=lang)
        page = context.new_page()
        page.goto(live_url + path)
        if lang == "en-US":  # the English switch
            page.click(".lang button")
            page.wait_for_load_state("load")
        page.wait_for_load_state("networkidle")
        assert axe_violations(page) == [], (path, lang)
        if lang == "zh-CN":
            screenshot(page, f"citizen-{path.strip('/').replace('/', '-')}")
        context.close()


def test_the_public_record_shows_the_closed_public_case_on_the_list_and_the_map(browser, live_url, world):
    context = browser.new_context(viewport=PHONE_VIEW, locale="zh-CN")
    page = context.new_page()
    page.goto(live_url + "/m/public/")
    assert world["public"] in page.locator(".cases").inner_text()
    page.goto(live_url + "/m/public/map/")
    page.wait_for_selector("#public-map[data-cases]", state="attached")
    assert int(page.get_attribute("#public-map", "data-cases")) >= 1
    screenshot(page, "citizen-public-map")
    context.close()


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_text_at_200_percent_and_a_360_px_screen_lose_nothing(browser, live_url, world, path):
    """WCAG 1.4.4 and 1.4.10: at 360 px and with the text doubled, no sideways scrolling, every control
    still on screen (within the page's width)."""
    context = browser.new_context(viewport=NARROW, locale="zh-CN")
    page = context.new_page()
    page.goto(live_url + path)
    page.wait_for_load_state("networkidle")
    assert no_sideways_scroll(page), path
    page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
    page.wait_for_timeout(200)
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right >
             document.documentElement.clientWidth + 1).map((el) => el.tagName + '.' + el.className + '#' + el.id).slice(0, 8)"""
    )
    assert no_sideways_scroll(page), (path, "200%", wide)
    cut = page.evaluate(
        """() => [...document.querySelectorAll('main button, main input:not([type=hidden]), main select, main textarea, main a')]
             .filter((el) => el.offsetParent !== null)
             .filter((el) => { const r = el.getBoundingClientRect(); return r.right > document.documentElement.clientWidth + 1 || r.left < -1; })
             .map((el) => el.outerHTML.slice(0, 80))"""
    )
    assert cut == [], (path, cut)
    if path == "/m/":
        page.screenshot(path=str(ROOT / "tests" / "artifacts" / "citizen-report-200pct.png"), full_page=False)
    context.close()
