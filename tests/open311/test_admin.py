"""Admin: the Open311 keys have their pages under the open311 app (the table kept its name)."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_open311_key_pages_render_under_their_app(as_user):
    admin = as_user("admin")
    assert admin.get("/admin/open311/open311key/").status_code == 200
    assert admin.get("/admin/open311/open311key/add/").status_code == 200
    assert admin.get("/admin/dispatch/open311key/").status_code == 404


def test_the_real_name_duty_is_shown_and_required_when_the_phone_is_optional_IN_2(as_user):
    """[IN-2] A key whose partner holds the real name says who, on the key's own page."""
    from open311.models import Open311Key

    admin = as_user("admin")
    page = admin.get("/admin/open311/open311key/add/").content.decode()
    assert 'name="caller_phone_required"' in page and 'name="real_name_duty"' in page
    form = {"name": "豫事办", "key": "k-yushiban", "channel": "app", "is_active": "on"}
    refused = admin.post("/admin/open311/open311key/add/", form)  # phone optional, no duty: refused
    assert refused.status_code == 200 and not Open311Key.objects.filter(name="豫事办").exists()
    duty = "豫事办实名注册，来电人姓名电话由其保存（协议2026-031号）"
    admin.post("/admin/open311/open311key/add/", {**form, "real_name_duty": duty})
    key = Open311Key.objects.get(name="豫事办")
    assert key.caller_phone_required is False and key.real_name_duty == duty
    assert "豫事办" in admin.get("/admin/open311/open311key/").content.decode()
