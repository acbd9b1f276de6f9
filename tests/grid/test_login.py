"""Log-in: a demo user gets in; repeated failures lock the account (django-axes)."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_a_grid_worker_logs_in_with_the_demo_password(client):
    resp = client.post("/accounts/login/", {"username": "changqing_grid", "password": "demo12345"})
    assert resp.status_code == 302
    assert client.get("/").context["user"].username == "changqing_grid"


def test_wrong_password_shows_a_clear_message(client):
    resp = client.post("/accounts/login/", {"username": "changqing_grid", "password": "nope"})
    assert resp.status_code == 200
    assert "用户名或密码错误" in resp.content.decode()


def test_repeated_failures_lock_the_account_even_with_the_right_password(client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "changqing_head", "password": "wrong"})
    resp = client.post("/accounts/login/", {"username": "changqing_head", "password": "demo12345"})
    assert resp.status_code == 429
    assert "锁定" in resp.content.decode()
    assert "_auth_user_id" not in client.session


def test_sessions_expire_after_a_shift_of_inactivity():
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST
