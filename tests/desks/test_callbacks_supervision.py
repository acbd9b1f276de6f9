"""The callback desk [CB-1][CB-2][CB-3] (the SMS webhook, rework [SLA-4], the evaluator's sample) and the
supervision desk [SV-1][AR-3] (reminder, phone, numbered written notice as a PDF, the unit's answer)."""

from __future__ import annotations

import json
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from desks import services as desk_services
from desks.models import EvaluationItem, Supervision
from dispatch.exceptions import NotPermitted
from dispatch.gateways import parse_satisfaction
from dispatch.models import InboundMessage, OutboundMessage, Status
from tests.helpers import closed_water_ticket, make_ticket

pytestmark = pytest.mark.django_db
TOKEN = "gateway-secret"


def sms(client, text, *, number="+86 138 1234 1234", id="m1", token=TOKEN):
    return client.post(
        "/desks/sms/inbound",
        json.dumps({"id": id, "from": number, "text": text}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_sms_answers_are_read_as_1_2_3_or_words_CB_2():
    assert parse_satisfaction("1") == "satisfied" and parse_satisfaction(" ２ ") == "basic"
    assert parse_satisfaction("3 不满意，还是没水") == "unsatisfied"
    assert parse_satisfaction("不满意") == "unsatisfied" and parse_satisfaction("基本满意") == "basic"
    assert parse_satisfaction("满意") == "satisfied"
    assert parse_satisfaction("13") is None and parse_satisfaction("1 3") is None and parse_satisfaction("好") is None


def test_the_webhook_needs_the_gateways_token_CB_2(client, settings):
    settings.DISPATCH_SMS_INBOUND_TOKEN = ""
    assert sms(client, "1").status_code == 401  # no token configured: the webhook is off
    settings.DISPATCH_SMS_INBOUND_TOKEN = TOKEN
    assert sms(client, "1", token="wrong").status_code == 401
    bad = client.post(
        "/desks/sms/inbound", "not json", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )
    assert bad.status_code == 400
    assert sms(client, "").status_code == 400


def test_an_sms_3_goes_to_a_manual_callback_and_unsatisfied_again_means_rework_CB_2_SLA_4(
    client, settings, users, as_user
):
    settings.DISPATCH_SMS_INBOUND_TOKEN = TOKEN
    ticket = closed_water_ticket(users)
    answer = sms(client, "3").json()
    assert answer == {"id": "m1", "outcome": "recorded", "ticket": ticket.number, "satisfaction": "unsatisfied"}
    assert sms(client, "3").json()["outcome"] == "recorded"  # delivered twice, recorded once
    assert InboundMessage.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CALLBACK_MANUAL
    assert OutboundMessage.objects.filter(ticket=ticket, medium="call", purpose="manual_callback").exists()
    center = as_user("city_dispatcher")
    assert ticket.number in center.get("/desks/callbacks/").content.decode()
    resp = center.post(
        f"/desks/t/{ticket.number}/callback/", {"callback-satisfaction": "unsatisfied", "callback-note": "仍未恢复"}
    )
    assert resp.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED and ticket.step == 2  # [SLA-4] rework
    assert sms(client, "1", id="m2").json()["outcome"] == "duplicate"


def test_the_evaluator_gets_a_random_sample_and_their_results_come_back_CB_3(client, settings, users, as_user):
    settings.DISPATCH_SMS_INBOUND_TOKEN = TOKEN
    ticket = closed_water_ticket(users)
    sms(client, "1")
    center = as_user("city_dispatcher")
    assert center.post("/desks/callbacks/samples/", {"size": 5, "days": 30}).status_code == 302
    item = EvaluationItem.objects.get(ticket=ticket)
    code = item.sample.code
    csv_text = center.get(f"/desks/callbacks/samples/{code}.csv").content.decode("utf-8-sig")
    assert ticket.number in csv_text and csv_text.splitlines()[0].startswith("sample,number")
    result = f"number,evaluation,note\n{ticket.number},3,第三方回访不满意\n"
    upload = SimpleUploadedFile("r.csv", result.encode(), content_type="text/csv")
    assert center.post(f"/desks/callbacks/samples/{code}/import", {"file": upload}).status_code == 302
    item.refresh_from_db()
    assert item.satisfaction == "unsatisfied" and item.agrees is False
    bad = SimpleUploadedFile("r.csv", b"number,evaluation\nPDS-x,1\n", content_type="text/csv")
    center.post(f"/desks/callbacks/samples/{code}/import", {"file": bad})
    item.refresh_from_db()
    assert item.satisfaction == "unsatisfied"  # a file with a foreign row changes nothing
    # another center does not see this sample
    assert as_user("ruzhou_dispatcher").get(f"/desks/callbacks/samples/{code}.csv").status_code == 404


def test_written_supervision_is_a_numbered_pdf_waiting_for_the_units_answer_SV_1(users, as_user):
    ticket = make_ticket(category="0801", description="长青社区停水一整天了没有通知")
    center = as_user("city_dispatcher")
    resp = center.post(
        f"/desks/t/{ticket.number}/supervise/", {"supervise-kind": "reminder", "supervise-note": "请尽快签收"}
    )
    assert resp.status_code == 302
    resp = center.post(
        f"/desks/t/{ticket.number}/supervise/",
        {"supervise-kind": "written", "supervise-note": "请于两日内书面反馈办理情况", "supervise-answer_days": 2},
    )
    assert resp.status_code == 302
    notice = Supervision.objects.get(ticket=ticket, kind="written")
    assert notice.number.startswith("DB") and notice.to_office.code == "DEPT-water"
    ticket.refresh_from_db()
    assert ticket.supervision_level == 3
    pdf = center.get(f"/desks/supervision/{notice.number}.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert notice.number in text and "督办单" in text and ticket.caller_phone not in text
    assert as_user("ruzhou_dispatcher").get(f"/desks/supervision/{notice.number}.pdf").status_code == 404
    page = center.get("/desks/supervision/?view=written").content.decode()
    assert notice.number in page
    with pytest.raises(NotPermitted):  # only the unit the notice went to answers it
        desk_services.answer_supervision(supervision=notice, by=users["heating_handler"], answer="已处理")
    assert notice.number not in as_user("heating_handler").get("/desks/notices/").content.decode()
    unit = as_user("water_handler")
    assert notice.number in unit.get("/desks/notices/").content.decode()
    assert unit.post("/desks/notices/", {"number": notice.number, "answer": ""}).status_code == 400
    assert (
        as_user("heating_handler").post("/desks/notices/", {"number": notice.number, "answer": "x"}).status_code == 404
    )
    assert unit.post("/desks/notices/", {"number": notice.number, "answer": "已恢复供水并补发公告"}).status_code == 302
    notice.refresh_from_db()
    assert notice.answered_at is not None
    assert [e.action for e in ticket.events.order_by("at", "id")][-3:] == [
        "supervise",
        "supervise",
        "answer_supervision",
    ]


def test_the_supervision_desk_lists_overdue_and_focus_tickets_SV_1_SV_3(as_user):
    import datetime as dt

    from django.utils import timezone

    late = make_ticket(category="0101")
    late.resolve_by = timezone.now() - dt.timedelta(hours=3)
    late.save(update_fields=["resolve_by"])
    page = as_user("city_dispatcher").get("/desks/supervision/?view=overdue").content.decode()
    assert late.number in page
    assert as_user("city_dispatcher").get("/desks/supervision/?view=bogus").status_code == 200
