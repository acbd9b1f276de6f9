"""Acting on a ticket from the phone: each action calls dispatch's services; refusals come back next to the
form with what was typed still in it, never as a 500."""

import pytest

from dispatch import services
from dispatch.fieldwork.models import Delegation
from dispatch.models import Assignment, ExtensionRequest, Status
from tests.dispatch.fieldwork.images import HTML_AS_JPEG, oversized_jpeg, phone_photo, upload
from tests.dispatch.fieldwork.test_delegation import REPLY
from tests.helpers import CHANGQING, events, make_ticket

from .conftest import text

pytestmark = pytest.mark.django_db


def reply_form(prefix="reply", **extra):
    return {**{f"{prefix}-{k}": v for k, v in REPLY.items()}, **extra}


def contact_form(note: str, means: str = "phone", outcome: str = "reached") -> dict:
    """[HD-1] the contact form: how, whether the caller was reached, what was said."""
    return {"contact-means": means, "contact-outcome": outcome, "contact-note": note}


@pytest.fixture
def drain(db):
    return make_ticket(code=CHANGQING, category="0101")


def test_sign_for_then_reply_with_a_photo_changes_state_and_history_HD_1_HD_2(as_user, drain):
    client = as_user("changqing_grid")
    page = text(client.get(f"/w/t/{drain.number}/"))
    assert f"/w/t/{drain.number}/sign-for/" in page and f"/w/t/{drain.number}/reply/" not in page
    response = client.post(f"/w/t/{drain.number}/sign-for/")
    assert response.status_code == 302 and response["Location"] == f"/w/t/{drain.number}/"
    drain.refresh_from_db()
    assert drain.status == Status.IN_PROGRESS
    # [HD-1] no reply before the caller has been contacted (or a failed attempt recorded)
    refused = client.post(f"/w/t/{drain.number}/reply/", reply_form())
    assert refused.status_code == 409 and "[HD-1]" in text(refused)
    assert client.post(f"/w/t/{drain.number}/contact/", contact_form("电话联系来电人，约定下午到场")).status_code == 302
    response = client.post(
        f"/w/t/{drain.number}/reply/", reply_form(**{"reply-photos": [phone_photo("after.jpg")]}), follow=True
    )
    assert response.status_code == 200
    drain.refresh_from_db()
    assert drain.status == Status.REPLIED
    assert events(drain)[-4:] == ["sign_for", "contact_caller", "reply", "attach_photos"]
    photo = drain.attachments.get()
    assert photo.name == "after.jpg" and photo.photo.exif_point is not None
    page = text(response)
    assert photo.photo.thumbnail.url in page and REPLY["result"] in page


def test_a_one_line_reply_is_refused_next_to_the_form_and_keeps_what_was_typed_HD_2(as_user, drain, users):
    services.sign_for(ticket=drain, by=users["changqing_grid"])
    response = as_user("changqing_grid").post(
        f"/w/t/{drain.number}/reply/", reply_form(**{"reply-facts": "已处理", "reply-result": "好了"})
    )
    assert response.status_code == 400
    page = text(response)
    assert "已处理" in page and "好了" in page and REPLY["basis"] in page  # nothing typed is lost
    assert 'id="act-reply" open' in page
    drain.refresh_from_db()
    assert drain.status == Status.IN_PROGRESS


@pytest.mark.parametrize(
    "name, data, words",
    [("page.jpg", HTML_AS_JPEG, "不是照片"), ("huge.jpg", oversized_jpeg(), "不能超过10 MB")],
    ids=["renamed-html", "oversized"],
)
def test_a_renamed_html_file_or_an_oversized_image_is_refused_with_a_clear_message(
    as_user, drain, users, name, data, words
):
    services.sign_for(ticket=drain, by=users["changqing_grid"])
    response = as_user("changqing_grid").post(
        f"/w/t/{drain.number}/reply/", reply_form(**{"reply-photos": [upload(name, data)]})
    )
    assert response.status_code == 400
    page = text(response)
    assert name in page and words in page and REPLY["facts"] in page
    drain.refresh_from_db()
    assert drain.status == Status.IN_PROGRESS and not drain.attachments.exists()  # nothing half done


def test_an_action_the_state_forbids_is_a_message_not_an_error(as_user, drain):
    """Replying before signing for: dispatch refuses it (409) and the page says why."""
    response = as_user("changqing_grid").post(f"/w/t/{drain.number}/reply/", reply_form())
    assert response.status_code == 409
    page = text(response)
    assert 'role="alert"' in page and REPLY["facts"] in page


def test_bad_input_is_a_4xx_never_a_500(as_user, drain, users):
    client = as_user("changqing_grid")
    assert client.post(f"/w/t/{drain.number}/no-such-action/").status_code == 404
    assert client.post(f"/w/t/{drain.number}/request-extension/", {"request-extension-days": "abc"}).status_code == 400
    assert client.get(f"/w/t/{drain.number}/sign-for/").status_code == 405
    assert client.post("/w/t/NOT-A-TICKET/sign-for/").status_code == 404


def test_contact_extension_and_return_from_the_phone_AS_3_SLA_3(as_user, drain, users):
    client = as_user("changqing_grid")
    client.post(f"/w/t/{drain.number}/sign-for/")
    assert client.post(f"/w/t/{drain.number}/contact/", contact_form("已电话联系，约定下午上门")).status_code == 302
    response = client.post(
        f"/w/t/{drain.number}/request-extension/",
        {
            "request-extension-days": 3,
            "request-extension-reason": "需市政配合疏通主管道",
            "request-extension-signed_off_by": "陈静",
        },
    )
    assert response.status_code == 302
    assert ExtensionRequest.objects.get(ticket=drain).days == 3
    response = client.post(
        f"/w/t/{drain.number}/return/",
        {"return-reason": "属市政主管道堵塞，超出社区能力", "return-suggested_office": "DEPT-urban-management"},
    )
    assert response.status_code == 302
    drain.refresh_from_db()
    assert drain.status == Status.RETURN_REQUESTED
    assert events(drain)[-3:] == ["contact_caller", "request_extension", "request_return"]


def test_a_township_marks_its_co_handling_done_AS_2(as_user, users):
    heating = make_ticket(code=CHANGQING, category="0701", description="长青社区3号楼暖气管道漏水严重")
    client = as_user("guangminglu_handler")
    client.post(f"/w/t/{heating.number}/sign-for/")
    page = text(client.get(f"/w/t/{heating.number}/"))
    assert "协办完成" in page
    assert client.post(f"/w/t/{heating.number}/reply/", reply_form()).status_code == 302
    assert heating.assignments.get(office=users["guangminglu_handler"].office).state == Assignment.State.REPLIED


def test_the_township_delegates_and_reviews_from_the_pages_HD_3(as_user, users):
    street = make_ticket(code=CHANGQING, category="0103", description="长青路12号门前有人占道经营卖水果")
    township, worker = as_user("guangminglu_handler"), as_user("changqing_grid")
    page = text(township.get(f"/w/t/{street.number}/"))
    assert 'value="office:WS-410402002005"' in page and 'value="office:WS-410402002002"' not in page
    assert (
        township.post(f"/w/t/{street.number}/delegate/", {"delegate-target": "office:WS-410402002005"}).status_code
        == 302
    )
    # the community sees it, signs for it and sends its draft (with a photo) to the township
    assert street.number in text(worker.get("/w/"))
    assert worker.post(f"/w/t/{street.number}/accept/").status_code == 302
    assert worker.post(f"/w/t/{street.number}/contact/", contact_form("电话联系来电人")).status_code == 302
    response = worker.post(f"/w/t/{street.number}/reply/", reply_form(**{"reply-photos": [phone_photo()]}))
    assert response.status_code == 302
    street.refresh_from_db()
    assert street.status == Status.IN_PROGRESS  # not up yet
    desk = text(township.get("/w/desk/"))
    assert street.number in desk.split('id="review"', 1)[1].split("</div>", 1)[0]
    approve = {f"approve-{k}": v for k, v in REPLY.items()}
    assert township.post(f"/w/t/{street.number}/approve/", approve).status_code == 302
    street.refresh_from_db()
    assert street.status == Status.REPLIED
    assert Delegation.objects.get(ticket=street).state == Delegation.State.APPROVED


def test_assigning_from_the_desk_answers_with_the_updated_row(as_user, users):
    street = make_ticket(code=CHANGQING, category="0103", description="长青路12号门前有人占道经营卖水果")
    client = as_user("guangminglu_handler")
    worker = users["changqing_grid"]
    response = client.post(
        "/w/desk/",
        {"number": street.number, f"assign-{street.number}-target": f"worker:{worker.pk}"},
        HTTP_HX_REQUEST="true",
        follow=True,
    )
    assert response.status_code == 200
    row = text(response).split(f'id="row-{street.number}"', 1)[1].split("</tr>", 1)[0]
    assert "王芳" in row and "长青社区工作站" in row
    # a worker of another community is refused next to the row
    other = make_ticket(code=CHANGQING, category="0103", description="长青路北口有人占道经营卖菜")
    response = client.post(
        "/w/desk/",
        {"number": other.number, f"assign-{other.number}-target": f"worker:{users['guangminglu_grid2'].pk}"},
    )
    assert response.status_code == 400
    row = text(response).split(f'id="row-{other.number}"', 1)[1].split("</tr>", 1)[0]
    assert 'role="alert"' in row


def test_served_photos_are_inert_and_carry_no_location(as_user, drain, users):
    services.sign_for(ticket=drain, by=users["changqing_grid"])
    client = as_user("changqing_grid")
    client.post(f"/w/t/{drain.number}/photos/", {"photos-photos": [phone_photo("site.jpg")]})
    attachment = drain.attachments.get()
    response = client.get(attachment.file.url)
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline; filename*=UTF-8''site.jpg")
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"GPS" not in body and b"HUAWEI" not in body and body[:2] == b"\xff\xd8"
    thumb = client.get(attachment.photo.thumbnail.url)
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    client.logout()
    assert client.get(attachment.file.url).status_code in (401, 403)
