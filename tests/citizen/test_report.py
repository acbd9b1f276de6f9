"""The citizen reports from the phone (/m/): a code proves the phone [IN-2], the report enters the one
intake as channel h5 [IN-1], idempotently, with cleaned photos; what cannot be classified or placed waits
for a person; abuse is limited per phone, per address and per code attempt."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from citizen import services
from citizen.credit_code import check_char, is_valid
from citizen.models import CitizenReport, PhoneCode
from dispatch.models import Attachment, Channel, OutboundMessage, Ticket
from tests.citizen.helpers import OTHER_PHONE, PHONE, file_report, get_code, last_code, photo, report_form

pytestmark = pytest.mark.django_db


# -- the code -----------------------------------------------------------------------------------


def test_a_code_goes_to_the_phone_by_the_sms_gateway_and_only_its_digest_is_kept():
    client = Client()
    code = get_code(client)
    msg = OutboundMessage.objects.get(purpose="citizen_code", to_number=PHONE)
    assert msg.medium == "sms" and code in msg.text
    row = PhoneCode.objects.get()
    assert code not in row.code_hash and PHONE not in row.phone_key


def test_the_right_code_verifies_the_phone_once():
    get_code(Client())
    code = last_code(PHONE)
    assert services.verify_code(phone=PHONE, code=code) == PHONE
    with pytest.raises(services.CitizenError):
        services.verify_code(phone=PHONE, code=code)  # used


def test_five_wrong_attempts_kill_the_code_even_the_right_one_after():
    get_code(Client())
    code = last_code(PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(services.MAX_ATTEMPTS_PER_CODE):
        with pytest.raises(services.CitizenError):
            services.verify_code(phone=PHONE, code=wrong)
    with pytest.raises(services.CitizenError):
        services.verify_code(phone=PHONE, code=code)


def test_an_expired_code_is_refused():
    get_code(Client())
    PhoneCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(services.CitizenError):
        services.verify_code(phone=PHONE, code=last_code(PHONE))


def test_code_attempts_per_phone_are_limited_across_codes(settings):
    settings.CITIZEN_LIMITS = {"verify_phone": (3, 600)}
    for _ in range(3):
        with pytest.raises(services.CitizenError) as e:
            services.verify_code(phone=PHONE, code="000000")
        assert e.value.status == 400
    with pytest.raises(services.CitizenError) as e:
        services.verify_code(phone=PHONE, code="000000")
    assert e.value.status == 429


def test_a_second_code_within_a_minute_is_429_with_retry_after():
    client = Client()
    get_code(client)
    resp = client.post("/m/code", {"phone": PHONE}, HTTP_ACCEPT="application/json")
    assert resp.status_code == 429 and int(resp["Retry-After"]) > 0
    assert OutboundMessage.objects.filter(purpose="citizen_code").count() == 1


def test_codes_from_one_address_are_limited_whatever_the_phone(settings):
    settings.CITIZEN_LIMITS = {"code_ip_hour": (2, 3600)}
    client = Client()
    assert client.post("/m/code", {"phone": "13800000001"}).status_code == 200
    assert client.post("/m/code", {"phone": "13800000002"}).status_code == 200
    assert client.post("/m/code", {"phone": "13800000003"}).status_code == 429


@pytest.mark.parametrize("phone", ["", "12345", "23912345678", "1391234567x", "+1 555 0100"])
def test_a_bad_phone_is_a_400_not_a_code(phone):
    resp = Client().post("/m/code", {"phone": phone}, HTTP_ACCEPT="application/json")
    assert resp.status_code == 400 and resp.json()["ok"] is False
    assert not OutboundMessage.objects.filter(purpose="citizen_code").exists()


def test_a_typed_plus86_number_is_the_same_phone():
    assert services.normalize_phone("+86 139-1234-5678") == PHONE


# -- the report ---------------------------------------------------------------------------------


def test_a_report_with_a_photo_and_a_code_enters_the_intake_as_h5():
    client = Client()
    t = file_report(client, photos=photo())
    assert t.channel == Channel.H5 and t.caller_phone == PHONE and t.caller_name == "王芳"
    assert t.township_code == "410402002" and t.location_source == "given"
    assert t.events.filter(action__in=["accept_intake", "queue_for_dispatch"]).exists()
    a = Attachment.objects.get(ticket=t)
    assert a.name == "lamp.jpg" and a.content_type == "image/jpeg" and a.uploaded_by is None
    assert CitizenReport.objects.get(ticket=t).public is True


def test_without_a_classifier_the_report_waits_for_a_dispatcher(fresh_classifier):
    t = file_report(Client())
    assert t.status == "pending_dispatch" and t.category_id is None
    assert "未分类" in t.events.get(action="queue_for_dispatch").note  # "no category", in the site's language


def test_an_address_that_cannot_be_placed_waits_for_a_dispatcher(fresh_classifier):
    t = file_report(Client(), lon="", lat="", address="火星基地三号楼")
    assert t.status == "pending_dispatch" and t.point is None


def test_the_same_form_sent_twice_makes_one_ticket():
    client = Client()
    form = report_form(code=get_code(client))
    first = client.post("/m/", form)
    second = client.post("/m/", form)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert Ticket.objects.filter(channel=Channel.H5).count() == 1 == CitizenReport.objects.count()


def test_the_same_key_with_other_content_is_a_409():
    client = Client()
    form = report_form(code=get_code(client))
    assert client.post("/m/", form).status_code == 302
    assert client.post("/m/", {**form, "description": "另一件事情，完全不同的内容描述"}).status_code == 409


def test_without_a_code_or_with_a_wrong_one_nothing_is_filed():
    client = Client()
    assert client.post("/m/", report_form()).status_code == 400
    get_code(client)
    assert (
        client.post("/m/", report_form(code="999999" if last_code(PHONE) != "999999" else "999998")).status_code == 400
    )
    assert not Ticket.objects.filter(channel=Channel.H5).exists()


def test_a_verified_phone_files_again_without_a_new_code():
    client = Client()
    file_report(client)
    second = file_report(client, code=False, description="小区门口的垃圾桶满了没人清理，味道很大")
    assert second.caller_phone == PHONE


def test_another_phone_needs_its_own_code_even_in_a_verified_browser():
    client = Client()
    file_report(client)
    assert client.post("/m/", report_form(phone=OTHER_PHONE)).status_code == 400


@pytest.mark.parametrize(
    "field,value",
    [("lon", "abc"), ("lat", "999"), ("description", "短"), ("kind", "nonsense"), ("name", ""), ("phone", "123")],
)
def test_bad_fields_are_a_400_with_the_form_again(field, value):
    client = Client()
    resp = client.post("/m/", {**report_form(code="123456"), field: value})
    assert resp.status_code == 400 and b"report-form" in resp.content


def test_a_lone_longitude_is_refused():
    resp = Client().post("/m/", report_form(code="123456", lat=""))
    assert resp.status_code == 400


def test_seven_photos_or_a_file_that_is_no_photo_are_refused_with_a_message():
    client = Client()
    too_many = client.post(
        "/m/", {**report_form(code=get_code(client)), "photos": [photo(f"{i}.jpg") for i in range(7)]}
    )
    assert too_many.status_code == 400 and Ticket.objects.filter(channel=Channel.H5).count() == 0
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    resp = client.post("/m/", {**report_form(), "photos": fake})
    assert resp.status_code == 400 and "x.jpg" in resp.content.decode()


def test_a_flood_from_one_phone_is_taken_but_held_for_a_person():
    client = Client()
    for i in range(services.FLOOD_REPORTS_PER_DAY):
        file_report(client, code=(i == 0), description=f"第{i}次反映：长青路的路灯坏了很多天")
    held = file_report(client, code=False, description="又一次反映：长青路的路灯坏了很多天")
    assert held.status == "pending_dispatch"
    reason = CitizenReport.objects.get(ticket=held).held_reason
    assert reason and reason in held.events.get(action="queue_for_dispatch").note
    assert held.category_id is None or not held.assignments.exists()


def test_reports_per_phone_per_day_are_capped(settings):
    settings.CITIZEN_LIMITS = {"report_phone_day": (2, 86400)}
    client = Client()
    file_report(client)
    file_report(client, code=False, description="第二件事：小区门口的井盖松动了")
    resp = client.post("/m/", report_form(description="第三件事：路边的树倒了挡住了路"))
    assert resp.status_code == 429


# -- businesses [PUB-4] --------------------------------------------------------------------------


def test_the_credit_code_checksum_of_gb_32100():
    assert is_valid("91110000802100433B") and is_valid("91350100M000100Y43")
    assert is_valid(" 91350100m000100y43 ")  # case and spaces ignored
    assert not is_valid("91110000802100433C")  # wrong check character
    assert not is_valid("9111000080210043")  # short
    assert not is_valid("91110000802100433I")  # I is not in the charset
    assert check_char("91110000802100433") == "B"


def test_a_business_files_with_a_valid_code_and_the_center_sees_it_apart(as_user):
    client = Client()
    t = file_report(
        client, is_business="on", business_name="平顶山市鹰城食品有限公司", credit_code="91110000802100433B"
    )
    r = CitizenReport.objects.get(ticket=t)
    assert r.is_business and r.credit_code == "91110000802100433B"
    page = as_user("city_dispatcher").get("/m/center/business/")
    assert page.status_code == 200 and t.number in page.content.decode()
    assert "鹰城食品" in page.content.decode() and PHONE not in page.content.decode()
    assert as_user("guangminglu_handler").get("/m/center/business/").status_code == 403


def test_a_business_with_a_bad_code_is_refused():
    client = Client()
    resp = client.post(
        "/m/",
        report_form(code=get_code(client), is_business="on", business_name="某公司", credit_code="91110000802100433C"),
    )
    assert resp.status_code == 400 and not Ticket.objects.filter(channel=Channel.H5).exists()


def test_a_private_person_filing_is_not_in_the_business_list(as_user):
    t = file_report(Client())
    assert t.number not in as_user("city_dispatcher").get("/m/center/business/").content.decode()
