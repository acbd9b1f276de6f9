"""Test set-up: a real PostGIS test database with the Pingdingshan fixtures, the
gazetteer and the ticket reference data loaded once per session; every test runs
in a transaction rolled back after it."""

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.backends.base.creation import TEST_DATABASE_PREFIX
from django.test import Client
from django.test.utils import setup_databases, teardown_databases

from grid.models import User


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if not connection.settings_dict["NAME"].startswith(TEST_DATABASE_PREFIX):
            # pytest-django creates the test database only when a collected test is marked django_db.
            # A browser module whose tests commit (no mark) run alone would otherwise give its server
            # the development database.
            config = setup_databases(verbosity=0, interactive=False, aliases={DEFAULT_DB_ALIAS})
            request.addfinalizer(lambda: _drop(config, django_db_blocker))
        call_command("load_pingdingshan", verbosity=0)
        call_command("load_gazetteer", verbosity=0)
        call_command("load_dispatch_reference", verbosity=0)


def _drop(config, django_db_blocker) -> None:
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=0)


@pytest.fixture
def api(client):
    return client


@pytest.fixture(autouse=True)
def _fresh_routing_table():
    """Rolled-back test transactions fire no signals: drop the in-process routing table and calendar after each test."""
    yield
    from dispatch.routing import invalidate
    from dispatch.sla import calendar_entries

    invalidate()
    calendar_entries.forget()  # and the working-day calendar's entries a rolled-back test made


@pytest.fixture
def users(db) -> dict[str, User]:
    return {u.username: u for u in User.objects.select_related("office")}


@pytest.fixture
def as_user(db):
    """A test client logged in as a demo user: as_user('city_dispatcher')."""

    def login(username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    return login


@pytest.fixture(scope="module", autouse=True)
def _usable_connection(django_db_blocker):
    """A server test cuts connections on purpose (tests/reliability/test_db_outage.py): every module
    starts with a connection that works, or a fresh one."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.connection is not None and not connection.is_usable():
            connection.close()
