"""Every operation of /api/schema/ fuzzed with schemathesis, in process (WSGI) on the real
PostGIS test database: no answer is a 5xx, and every answer's status code, content type,
headers and body are the ones the schema documents.

Requests come from several roles (the city center, a sub-center, a township, a community
grid worker, two departments, the wall viewer, and nobody), logged in with a session
cookie and a CSRF token as a browser is. Path parameters are drawn from real objects
(tickets in every state of the workflow, areas, attachments) as well as generated
strings, so scoped operations are exercised on what the role may and may not see.

A bounded, derandomized run here (API_FUZZ_EXAMPLES, default 10 per operation: over 2,000 cases);
bench/api_fuzz.py runs the same operations long and records the figures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter, defaultdict

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import transaction
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers import rolled_back_world

# Besides max_examples, schemathesis's coverage phase adds the schema's boundary and invalid values
# and probes of undeclared methods: 10 gives some 2,400 cases over the 36 operations.
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "10"))
MIN_CASES = 2_000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES = (
    "city_dispatcher",
    "ruzhou_dispatcher",
    "guangminglu_handler",
    "changqing_grid",
    "heating_handler",
    "water_handler",
    "wall_viewer",
    None,  # not logged in
)

APP = WSGIHandler()
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = APP
# Auth is ours to give (a real session per role); generated Basic credentials would only feed the lock-out.
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True, with_security_parameters=False)

# Real objects for path parameters, filled by the `world` fixture.
REAL: dict[str, list[str]] = {}
CASES: Counter = Counter()
STATUSES: dict[str, Counter] = defaultdict(Counter)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Tickets in every state of the workflow, in and out of each role's scope, with photos; one
    transaction for the whole module, rolled back at its end (each request runs in a savepoint)."""
    yield from rolled_back_world(django_db_blocker, _build_world, MEDIA_ROOT=tmp_path_factory.mktemp("media"))


def _build_world() -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.photos import clean_photos
    from dispatch import services
    from dispatch.fieldwork.services import add_photos
    from grid.models import Area, User
    from tests.dispatch.fieldwork.images import image_bytes, phone_exif
    from tests.helpers import CHANGQING, RUZHOU, WATER_REPLY, closed_water_ticket, make_ticket

    users = {u.username: u for u in User.objects.filter(username__in=[r for r in ROLES if r])}
    heating = make_ticket(category="0701", description="长青社区19号楼暖气管道漏水，楼道里全是水")
    water = make_ticket(category="0801", description="长青社区停水一整天了没有通知")
    services.sign_for(ticket=water, by=users["water_handler"])
    replied = make_ticket(category="0801", description="长青社区水压太低，高层用不上水")
    services.sign_for(ticket=replied, by=users["water_handler"])
    services.contact_caller(ticket=replied, by=users["water_handler"], note="电话联系诉求人")  # [HD-1]
    services.reply(ticket=replied, by=users["water_handler"], **WATER_REPLY)
    returned = make_ticket(category="0701", description="长青社区路灯不亮，晚上很黑")
    services.sign_for(ticket=returned, by=users["heating_handler"])
    services.request_return(
        ticket=returned, by=users["heating_handler"], reason="不属于供热范围", suggested_office="DEPT-water"
    )
    closed = closed_water_ticket(users)
    queued = make_ticket(code=None, description="有人反映情况但没有说地点")
    ruzhou = make_ticket(code=RUZHOU, category="0103", description="汝州市区有人占道经营")
    drain = make_ticket(code=CHANGQING, category="0101", description="楼下下水道堵了，污水溢到路面上")
    photo = SimpleUploadedFile("IMG_0001.jpg", image_bytes("JPEG", exif=phone_exif()), content_type="image/jpeg")
    attachments = add_photos(ticket=water, by=users["water_handler"], photos=clean_photos([photo]))
    REAL.clear()
    REAL["number"] = [t.number for t in (heating, water, replied, returned, closed, queued, ruzhou, drain)]
    REAL["code"] = list(Area.objects.current().order_by("code").values_list("code", flat=True)[::150])
    REAL["path"] = [a.file.name for a in attachments] + [f"thumb/{a.file.name}" for a in attachments]
    REAL["hotspot_id"] = ["1", "999999"]
    # Flare alerts [AN-1]: one open, one acknowledged and reported, in 长青社区's township and in 汝州.
    from django.utils import timezone

    from alerts import services as flares
    from alerts.models import SpikeAlert
    from dispatch.models import Category

    now = timezone.now()
    alerts = []
    day = dt.date(2020, 1, 15)  # a day no detection run by another test can have raised alerts for
    for code, category in ((CHANGQING[:9], "0101"), (RUZHOU[:9], "0103")):
        alerts.append(
            SpikeAlert.objects.create(
                category=Category.objects.get(code=category),
                township_code=code,
                county_code=code[:6],
                day=day,
                count=8,
                first_count=8,
                baseline_mean=0.4,
                baseline_sd=0.6,
                detected_at=now,
                report_due=now + dt.timedelta(hours=2),
            )
        )
    flares.acknowledge_spike(alert=alerts[1], by=users["city_dispatcher"])
    flares.file_spike_report(
        alert=alerts[1], by=users["city_dispatcher"], text="汝州市区占道经营集中反映，已通知城管部门今日内清理。"
    )
    REAL["alert_id"] = [str(a.id) for a in alerts] + ["999999"]
    sessions = {}
    for username, user in users.items():
        client = Client()
        client.force_login(user)
        token = _get_new_csrf_string()
        sessions[username] = (
            {"sessionid": client.cookies["sessionid"].value, "csrftoken": token},
            {"X-CSRFToken": token},
        )
    sessions[None] = ({}, {})
    return sessions


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    yield
    out = os.environ.get("API_FUZZ_STATS")
    if out:
        with open(out, "w") as f:
            json.dump({"cases": CASES, "statuses": STATUSES}, f, ensure_ascii=False, indent=1)
    total = sum(CASES.values())
    print(f"\nschemathesis: {total} cases over {len(CASES)} operations")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented_for_every_role(case, world):
    label = case.operation.label
    n = CASES[label]
    CASES[label] += 1
    role = ROLES[n % len(ROLES)]  # each role in turn: deterministic, and every role gets its share
    cookies, headers = world[role]
    # Two cases in three address a real object (a ticket in some state, an area, a photo); the third
    # keeps what schemathesis generated (unknown, malformed, boundary values).
    for name in case.path_parameters or {}:
        if REAL.get(name) and n % 3:
            case.path_parameters[name] = REAL[name][n // len(ROLES) % len(REAL[name])]  # each object, every role
    with transaction.atomic():  # a failing query must not abort the module's transaction
        response = case.call(cookies=cookies, headers=headers)
    STATUSES[label][str(response.status_code)] += 1
    case.validate_response(response, checks=CHECKS)


def test_the_bounded_run_sent_at_least_2000_cases():
    """Runs after the operations above (file order); meaningless when only some of them were selected."""
    operations = {op.ok().label for op in schema.get_all_operations()}
    if set(CASES) != operations:
        pytest.skip("only some operations were fuzzed in this run")
    assert sum(CASES.values()) >= min(MIN_CASES, EXAMPLES * 200)
