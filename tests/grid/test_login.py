"""Log-in: a demo user gets in; repeated failures lock the account (django-axes)."""

import base64
import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

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


# -- lock-out: by name and by address, a cool-off, a reset on success, the API too ------------------------


def login(client, username, password="demo12345", ip="198.51.100.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_one_address_trying_many_names_is_locked_out_for_every_name(client):
    """Password spraying: five names from one address lock the address, even for a right password."""
    names = ("changqing_head", "changqing_grid", "guangminglu_grid2", "xiatang_grid", "wenquan_grid")
    statuses = [login(client, name, "wrong", ip="203.0.113.66").status_code for name in names]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks the address at once
    assert login(client, "water_handler", ip="203.0.113.66").status_code == 429
    assert login(client, "water_handler", ip="203.0.113.99").status_code == 302  # another address is not


def test_a_locked_name_stays_locked_from_another_address_and_others_are_unaffected(client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "changqing_head", "wrong", ip="203.0.113.7")
    assert login(client, "changqing_head", ip="198.51.100.20").status_code == 429
    assert login(client, "changqing_grid", ip="198.51.100.20").status_code == 302


def test_the_lock_ends_after_the_cool_off(client):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "changqing_head", "wrong")
    assert login(client, "changqing_head").status_code == 429
    cool_off = dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off - dt.timedelta(seconds=1))
    assert login(client, "changqing_head").status_code == 302


def test_a_successful_log_in_resets_the_count(client):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "changqing_head", "wrong")
    assert login(client, "changqing_head").status_code == 302
    client.post("/accounts/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "changqing_head", "wrong")
    assert login(client, "changqing_head").status_code == 302


def test_guessing_passwords_through_the_api_counts_and_locks_too(client):
    """HTTP Basic on the API goes through the same lock-out as the form."""

    def basic(password):
        token = base64.b64encode(f"changqing_head:{password}".encode()).decode()
        return client.get("/api/tickets/", HTTP_AUTHORIZATION=f"Basic {token}", REMOTE_ADDR="198.51.100.5")

    assert basic("demo12345").status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert basic("wrong").status_code in (401, 403)
    assert basic("demo12345").status_code in (401, 403, 429)  # the right password no longer gets in
    assert login(client, "changqing_head", ip="198.51.100.6").status_code == 429
