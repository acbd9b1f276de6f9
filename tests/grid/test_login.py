"""Log-in: a demo user gets in; repeated failures lock the name from that address (django-axes, audit.lockout)."""

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
    # the expiry is pushed back while the user works, at most every few minutes (tests/core/test_request_load.py)
    assert 0 < settings.SESSION_REFRESH_SECONDS <= 600


# -- lock-out: by name and address together, a much higher limit per address, a cool-off, a reset ------------
# (issue 18 item 6, audit.lockout)


def login(client, username, password="demo12345", ip="198.51.100.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


AGENTS = [
    "changqing_head",
    "changqing_grid",
    "guangminglu_handler",
    "xinhua_dispatcher",
    "ruzhou_dispatcher",
    "heating_handler",
    "water_handler",
    "city_dispatcher",
    "wall_viewer",
]


def twenty_agents():
    """Twenty log-ins of a call center: the demo users plus agents of our own, one password."""
    from grid.models import User

    office = User.objects.get(username="city_dispatcher").office
    names = list(AGENTS)
    for i in range(20 - len(names)):
        user = User.objects.create_user(f"agent{i:02d}", password="demo12345", office=office)
        names.append(user.username)
    return names


def test_one_agent_mistyping_behind_a_shared_address_locks_only_that_agent():
    """20 agents behind one call-center address; one mistypes 6 times: the other 19 still log in, the mistyper is locked."""
    from django.test import Client

    center = "203.0.113.10"
    agents = twenty_agents()
    mistyper, others = agents[0], agents[1:]
    statuses = [
        login(Client(), mistyper, "wrong", ip=center).status_code for _ in range(settings.AXES_FAILURE_LIMIT + 1)
    ]
    assert statuses[-1] == 429
    assert login(Client(), mistyper, ip=center).status_code == 429  # the right password no longer gets in
    for name in others:
        assert login(Client(), name, ip=center).status_code == 302, name
    assert login(Client(), mistyper, ip=center).status_code == 429


def test_nobody_can_lock_a_named_account_from_another_address(client):
    for _ in range(settings.AXES_FAILURE_LIMIT * 3):
        login(client, "changqing_head", "wrong", ip="203.0.113.7")
    assert login(client, "changqing_head", ip="203.0.113.7").status_code == 429  # the guesser's address is locked
    assert login(client, "changqing_head", ip="198.51.100.20").status_code == 302  # the owner's is not


def test_one_address_trying_many_names_is_locked_at_the_address_limit():
    """Password spraying: a hundred failures under any names from one address lock the address, even for a right password."""
    from django.test import Client

    spray = "203.0.113.66"
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    assert limit >= 10 * settings.AXES_FAILURE_LIMIT
    statuses = [login(Client(), f"guess{i}", "wrong", ip=spray).status_code for i in range(limit)]
    assert statuses[: limit - 1] == [200] * (limit - 1) and statuses[-1] == 429
    assert login(Client(), "water_handler", ip=spray).status_code == 429
    assert login(Client(), "water_handler", ip="203.0.113.99").status_code == 302  # another address is not


def test_an_admin_lifts_a_lock_and_the_owner_gets_in_at_once(admin_client):
    from django.core.management import call_command
    from django.test import Client

    from audit.models import AuditEntry
    from grid.models import User

    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), "changqing_head", "wrong")
    assert login(Client(), "changqing_head").status_code == 429
    head = User.objects.get(username="changqing_head")
    resp = admin_client.post(
        "/admin/grid/user/", {"action": "lift_login_locks", "_selected_action": [head.pk]}, follow=True
    )
    assert resp.status_code == 200
    assert login(Client(), "changqing_head").status_code == 302
    assert AuditEntry.objects.filter(action="auth.unlocked", object_id="changqing_head").exists()
    # the same from the command line, for a name and for a whole address
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), "changqing_grid", "wrong")
    assert login(Client(), "changqing_grid").status_code == 429
    call_command("unlock_login", "changqing_grid", "--address", "198.51.100.1", stdout=open("/dev/null", "w"))
    assert login(Client(), "changqing_grid").status_code == 302


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
    assert login(client, "changqing_head", ip="198.51.100.5").status_code == 429  # the form neither, from there
    assert login(client, "changqing_head", ip="198.51.100.6").status_code == 302  # elsewhere the owner gets in
