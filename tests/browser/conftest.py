"""Browser tests: a real daphne process serving the test database, driven by
Debian's Chromium through Playwright. Screenshots go to tests/artifacts/."""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from tests.servers import database_url, free_port, new_session, process

# Playwright's sync API keeps an event loop running in this thread; Django's ORM
# calls in the tests are still synchronous, so tell Django not to refuse them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def live_url(django_db_setup, django_db_blocker):
    """Base URL of a daphne server on the test database (fixtures already loaded)."""
    with django_db_blocker.unblock():
        connection.ensure_connection()
        url = database_url()
    port = free_port()
    # The server inherits the test run's settings module (so it checks the demo users' passwords
    # with the hasher that set them); its live ticker stays off, leaving no register rows behind.
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", "MAPS_LIVE_TICK_SECONDS": "0"}
    args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    with process(args, port, "daphne", env):
        yield f"http://127.0.0.1:{port}"
    # Connections opened under Playwright's greenlets escape Django's close_all();
    # end them so that the test database can be dropped.
    with django_db_blocker.unblock(), connection.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="module", autouse=True)
def _forget_what_the_server_stored(django_db_setup, django_db_blocker):
    """The server commits derived rows as pages ask for them (stored assessment months, flare alerts);
    drop the module's own at its end so later tests start from the fixtures alone."""
    from alerts.models import SpikeAlert
    from assessment.models import AssessmentMonth

    def newest() -> dict:
        with django_db_blocker.unblock():
            return {
                m: m.objects.order_by("-id").values_list("id", flat=True).first() or 0
                for m in (AssessmentMonth, SpikeAlert)
            }

    before = newest()
    yield
    with django_db_blocker.unblock():
        for model, last in before.items():
            model.objects.filter(id__gt=last).delete()


@pytest.fixture(scope="module")  # Playwright's sync API keeps an event loop running: end it with the module
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        # Playwright's wait_for_function compiles its predicate in the page (an eval), which the site's
        # Content Security Policy refuses: functional tests run with the policy bypassed, and
        # tests/browser/test_csp.py, which asks for bypass_csp=False, holds every page to it.
        new_context = b.new_context

        def new_context_without_csp(**options):
            options.setdefault("bypass_csp", True)
            return new_context(**options)

        b.new_context = new_context_without_csp
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.js_errors = errors
    yield pg
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


@contextmanager
def console_seat(django_db_blocker, *, users=("city_calltaker",), pbx: str = "browser test PBX"):
    """Committed for a module: the city call-taker at seat 8001, a PBX token, a classifier version and a
    logged-in session for each of `users`. Yields {"token", "sessions", "session" (the first user's),
    "first_id"}. Afterwards it removes them, the seat's calls and every ticket made meanwhile, with
    their photos' files. A module removes its own rows that point at those tickets after its yield."""
    from django.contrib.sessions.backends.db import SessionStore

    from classify import services as classify_services
    from classify.models import ClassifierVersion
    from console.models import CallRecord, CallTicket, CtiToken, Seat
    from dispatch.models import Ticket
    from grid.models import User

    with django_db_blocker.unblock():
        first_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        calltaker = User.objects.get(username="city_calltaker")
        seat = Seat.objects.create(extension="8001", office=calltaker.office, agent=calltaker)
        token_row, token = CtiToken.issue(pbx)
        classify_services.forget_model()
        version = classify_services.train_classifier(use_tickets=False)
        sessions = {username: new_session(username) for username in users}
    yield {"token": token, "sessions": sessions, "session": sessions[users[0]], "first_id": first_id}
    with django_db_blocker.unblock():
        CallTicket.objects.filter(call__seat=seat).delete()
        CallRecord.objects.filter(seat=seat).delete()
        seat.delete()
        token_row.delete()
        version.delete()
        ClassifierVersion.objects.all().delete()
        classify_services.forget_model()
        doomed = Ticket.objects.filter(id__gte=first_id)
        files = [a.file for t in doomed for a in t.attachments.all() if a.file]
        doomed.delete()
        for f in files:
            f.storage.delete(f.name)
        SessionStore().model.objects.filter(session_key__in=sessions.values()).delete()
        connection.close()


def changqing_tickets(
    prefix: str,
    n: int,
    category: str,
    at,
    *,
    east_m: float = 0,
    channel: str = "phone",
    description: str = "浏览器测试",
    **extra,
) -> list:
    """n archived tickets in 长青社区 (光明路街道) numbered prefix00000…, 25 m apart eastwards from east_m and
    7 minutes apart from `at`: a line of them is a hotspot's shape."""
    import datetime as dt
    import math

    from django.contrib.gis.geos import Point

    from dispatch.models import Category, Ticket
    from tests.helpers import CHANGQING, label

    lon, lat = label(CHANGQING)
    cat = Category.objects.get(code=category)
    base = Ticket.objects.filter(number__startswith=prefix).count()
    out = []
    for i in range(n):
        dx = (east_m + 25 * i) / (111_320 * math.cos(math.radians(lat)))
        out.append(
            Ticket.objects.create(
                number=f"{prefix}{base + i:05d}",
                channel=channel,
                kind="complaint",
                description=description,
                status="archived",
                category=cat,
                point=Point(lon + dx, lat + 0.0001 * (i % 3), srid=4326),
                county_code=CHANGQING[:6],
                township_code=CHANGQING[:9],
                community_code=CHANGQING,
                received_at=at + dt.timedelta(minutes=7 * i),
                **extra,
            )
        )
    return out


@contextmanager
def signed_in_page(browser, live_url: str, session: str, *, width: int = 1400, height: int = 1100):
    """A page of a new browser context holding `session`'s cookie; `page.base` is the server's URL."""
    from django.conf import settings

    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_url}])
    page = context.new_page()
    page.base = live_url
    try:
        yield page
    finally:
        context.close()
