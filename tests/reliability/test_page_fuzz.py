"""Hostile input to every page and to Open311, which the OpenAPI schema (test_api_fuzz.py) does not
cover (issue 18, item 2): no answer is a 5xx and no request raises.

Every URL pattern of the URL conf (admin and the schema/docs views aside) is requested with its path
parameters and the query parameters its module reads (`request.GET.get("x")`, `GET["x"]`,
`query_params`, the app's forms' fields, and `page`/`format`), each drawn from real objects or from
a list of hostile values: NUL and other control characters, huge, negative and non-decimal numbers,
NaN and infinity, malformed dates and periods, unicode, very long strings, markup and path
traversal, a value given twice (an array for a scalar). Open311's POST gets hostile forms,
url-encoded and multipart, with and without a valid api_key, and the pages that take a POST get
hostile forms too. Seven roles take turns, anonymous among them.

A bounded, seeded run here (PAGE_FUZZ_CASES per URL pattern, default 8: some 600 requests, and past
PAGE_FUZZ_SECONDS, 45, one case per remaining pattern); bench/page_fuzz.py runs it long and records
the figures.
"""

from __future__ import annotations

import inspect
import json
import os
import random
import re
import sys
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests.helpers import rolled_back_world

CASES_PER_PATTERN = int(os.environ.get("PAGE_FUZZ_CASES", "8"))
# CI's bound: past this many seconds every remaining pattern still gets one case, no more.
BUDGET_SECONDS = float(os.environ.get("PAGE_FUZZ_SECONDS", "45"))
SEED = int(os.environ.get("PAGE_FUZZ_SEED", "18"))
ROLES = (
    None,
    "city_dispatcher",
    "ruzhou_dispatcher",
    "guangminglu_handler",
    "changqing_grid",
    "water_handler",
    "wall_viewer",
    "admin",
)
# Not fuzzed here: Django's admin (its own code), the OpenAPI schema and its viewer (test_api_fuzz.py
# fuzzes what they describe), the log-in and password views (a hostile log-in only feeds the lock-out).
SKIP_PREFIXES = ("admin/", "api/schema/", "api/docs/", "accounts/")

HOSTILE = [
    "\x00",
    "a\x00b",
    "\x0b",
    "\x1f\x7f",
    "99999999999999999999",
    "-99999999999999999999",
    "9223372036854775808",
    "2147483648",
    "-1",
    "0",
    "1e308",
    "1e400",
    "-1e400",
    "nan",
    "inf",
    "0x10",
    "１２",  # full-width digits
    "١٢٣",  # Arabic-Indic digits: int() takes them
    "1.5",
    "",
    " ",
    "true",
    "null",
    "[]",
    "{}",
    "2026-13-45",
    "2026-02-30T25:61:61+08:00",
    "2026-W99",
    "9999-12",
    "0000-00",
    "-2026-01",
    "2026-11-01/2026-10-01",
    "99999-01-01",
    "'; DROP TABLE x; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%",
    "%00",
    "\\",
    "💥🚒",
    "新华区",
    "\u202e\u200b",
    "\ud7ff\ufffe",
    "x" * 5_000,
    "字" * 3_000,
    "1" * 400,
]
REAL_PERIODS = ["2026-11", "2026-10", "2026-W46", "2026"]
REAL_FORMATS = ["json", "xml", "csv", "xlsx", "pdf", "html"]
COMMON_PARAMS = ["page", "format", "page_size", "since", "until", "area", "q"]

CASES: Counter = Counter()
STATUSES: dict[str, Counter] = defaultdict(Counter)
FAILURES: list[str] = []


# -- the URL conf ------------------------------------------------------------------------------


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace and (f"{namespace}:{p.namespace}" if namespace else p.namespace) or namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name:
            name = f"{namespace}:{p.name}" if namespace else p.name
            yield prefix + str(p.pattern), name, p.callback, list(p.pattern.regex.groupindex)


_GET_KEY = re.compile(r"""(?:GET|query_params|params)(?:\.get(?:list)?\(|\[)\s*["']([A-Za-z_][\w\[\]]*)["']""")
_FORM_FIELD = re.compile(r"^\s+(\w+)\s*=\s*forms\.\w+Field\(", re.M)


def _params_read_by(callback) -> list[str]:
    """The query parameters a view's module (and its app's forms) read: a superset, which is the point."""
    view = getattr(callback, "view_class", None) or getattr(callback, "cls", None) or callback
    module = sys.modules.get(getattr(view, "__module__", ""))
    names = set(COMMON_PARAMS)
    try:
        source = inspect.getsource(module) if module else ""
    except (OSError, TypeError):
        source = ""
    names.update(_GET_KEY.findall(source))
    if module and getattr(module, "__file__", None):
        forms = Path(module.__file__).with_name("forms.py")
        if forms.exists():
            names.update(_FORM_FIELD.findall(forms.read_text()))
    return sorted(names)


def targets() -> list[tuple[str, str, object, list[str], list[str]]]:
    found = []
    for route, name, callback, kwargs in _walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES):
            continue
        found.append((route, name, callback, kwargs, _params_read_by(callback)))
    return found


TARGETS = targets()


# -- real objects ------------------------------------------------------------------------------

REAL: dict[str, list[str]] = {}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Tickets in a few states, one flare alert and one Open311 key, in one transaction for the whole
    module, rolled back at its end (each request runs in a savepoint)."""
    from django.conf import settings

    middleware = settings.MIDDLEWARE
    if os.environ.get("PAGE_FUZZ_WITHOUT_GUARD"):  # bench/page_fuzz.py's baseline
        middleware = [m for m in middleware if m != "core.input_guard.InputGuardMiddleware"]
    yield from rolled_back_world(django_db_blocker, _build_world, MIDDLEWARE=middleware)


def _build_world() -> dict:
    import datetime as dt

    from django.utils import timezone

    from alerts.models import SpikeAlert
    from dispatch import services
    from dispatch.models import Category
    from grid.models import Area, Office, User
    from open311.models import Open311Key
    from tests.helpers import CHANGQING, RUZHOU, make_ticket

    users = {u.username: u for u in User.objects.filter(username__in=[r for r in ROLES if r])}
    heating = make_ticket(category="0701", description="长青社区19号楼暖气管道漏水，楼道里全是水")
    water = make_ticket(category="0801", description="长青社区停水一整天了没有通知")
    services.sign_for(ticket=water, by=users["water_handler"])
    ruzhou = make_ticket(code=RUZHOU, category="0103", description="汝州市区有人占道经营")
    drain = make_ticket(code=CHANGQING, category="0101", description="楼下下水道堵了，污水溢到路面上")
    alert = SpikeAlert.objects.create(
        category=Category.objects.get(code="0101"),
        township_code=CHANGQING[:9],
        county_code=CHANGQING[:6],
        day=dt.date(2020, 1, 16),
        count=8,
        first_count=8,
        baseline_mean=0.4,
        baseline_sd=0.6,
        detected_at=timezone.now(),
        report_due=timezone.now() + dt.timedelta(hours=2),
    )
    key = Open311Key.objects.create(name="page fuzz", channel="app")
    REAL.clear()
    tickets = (heating, water, ruzhou, drain)
    REAL["number"] = REAL["request_id"] = [t.number for t in tickets]
    REAL["token"] = [str(t.token) for t in tickets]
    REAL["code"] = [CHANGQING, CHANGQING[:9], CHANGQING[:6], RUZHOU, "0701", "0101"]
    REAL["period"] = REAL_PERIODS
    REAL["office"] = list(Office.objects.order_by("code").values_list("code", flat=True)[:5]) + [
        str(o) for o in Office.objects.order_by("id").values_list("id", flat=True)[:3]
    ]
    REAL["alert_id"] = [str(alert.id), "999999"]
    REAL["hotspot_id"] = ["1", "999999"]
    REAL["fmt"] = ["json", "xml"]
    REAL["name"] = ["trend", "categories", "units", "areas", "sla"]
    REAL["action"] = ["sign-for", "reply", "return", "dispatch", "accept-reply", "callback", "contact"]
    REAL["path"] = ["tickets/2026/11/x.jpg", "thumb/x.jpg"]
    REAL["area"] = [CHANGQING, CHANGQING[:9], CHANGQING[:6], "410400000000"]
    REAL["community"] = [CHANGQING]
    REAL["api_key"] = [key.key]
    REAL["service_code"] = ["0701", "0101"]
    REAL["page"] = ["1", "2"]
    REAL["format"] = REAL_FORMATS
    REAL["_areas"] = list(Area.objects.filter(valid_to__isnull=True).values_list("code", flat=True)[:3])
    clients = {}
    for role in ROLES:
        client = Client(raise_request_exception=True)
        if role:
            client.force_login(users[role])
        clients[role] = client
    return clients


# -- cases -------------------------------------------------------------------------------------


def _value(rng: random.Random, name: str) -> str:
    if REAL.get(name) and rng.random() < 0.4:
        return rng.choice(REAL[name])
    return rng.choice(HOSTILE)


def _path(rng: random.Random, name: str, kwargs: list[str]) -> str | None:
    for _attempt in range(12):
        values = {k: _value(rng, k) for k in kwargs}
        try:
            return reverse(name, kwargs=values)
        except NoReverseMatch:
            continue  # the converter does not take this value (int, slug, [^/.]+): draw again
    try:
        return reverse(name, kwargs={k: rng.choice(REAL.get(k) or ["1"]) for k in kwargs})
    except NoReverseMatch:
        return None


def _query(rng: random.Random, params: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for name in rng.sample(params, k=min(len(params), rng.randint(1, 4))):
        pairs.append((name, _value(rng, name)))
        if rng.random() < 0.15:  # an array for a scalar
            pairs.append((name, _value(rng, name)))
    if rng.random() < 0.05:
        pairs.append((rng.choice(HOSTILE[:4]), "1"))  # a hostile parameter name
    return pairs


OPEN311_FIELDS = [
    "api_key",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "description",
    "first_name",
    "last_name",
    "phone",
    "email",
    "media_url",
    "attribute[urgency]",
    "attribute[kind]",
    "jurisdiction_id",
]


def _open311_form(rng: random.Random) -> dict[str, str]:
    form = {"api_key": REAL["api_key"][0]} if rng.random() < 0.6 else {}
    form.update({"service_code": "0701", "lat": "33.74", "long": "113.30", "phone": "13812341234"})
    for name in rng.sample(OPEN311_FIELDS, k=rng.randint(1, 5)):
        form[name] = _value(rng, name)
    return form


def _send(client: Client, method: str, url: str, label: str, role, **kwargs) -> None:
    CASES[label] += 1
    try:
        with transaction.atomic():  # a failing query must not abort the module's transaction
            response = getattr(client, method)(url, **kwargs)
        status = response.status_code
    except Exception as exc:  # noqa: BLE001 - every exception is the finding
        status = 500
        where = traceback.extract_tb(exc.__traceback__)[-1]
        FAILURES.append(
            f"{method.upper()} {url[:200]!r} as {role or 'anonymous'}: {type(exc).__name__}: {str(exc)[:200]} "
            f"({where.filename.rsplit('/', 2)[-1]}:{where.lineno})"
        )
    else:
        if status >= 500:
            FAILURES.append(f"{method.upper()} {url[:200]!r} as {role or 'anonymous'}: answered {status}")
    STATUSES[label][str(status)] += 1


POST_PAGES = {"ws:report", "ws:act", "spike-action", "set_language", "open311-requests"}


def test_every_page_and_open311_path_survives_hostile_input_for_every_role(world):
    rng = random.Random(SEED)
    started = time.perf_counter()
    n = 0
    for route, name, _callback, kwargs, params in TARGETS:
        over_budget = time.perf_counter() - started > BUDGET_SECONDS
        for _case in range(1 if over_budget else CASES_PER_PATTERN):
            role = ROLES[n % len(ROLES)]
            n += 1
            client = world[role]
            path = _path(rng, name, kwargs)
            if path is None:
                continue
            query = _query(rng, params)
            url = f"{path}?{urlencode(query)}" if query else path
            _send(client, "get", url, f"GET {route}", role)
            if name not in POST_PAGES:
                continue
            if name == "open311-requests":
                form = _open311_form(rng)
            else:
                form = {k: v for k, v in _query(rng, params)}
            if rng.random() < 0.5:
                body = urlencode(form)
                _send(
                    client,
                    "post",
                    path,
                    f"POST {route}",
                    role,
                    data=body,
                    content_type="application/x-www-form-urlencoded",
                )
            else:
                _send(client, "post", path, f"POST {route}", role, data=form)
    seconds = time.perf_counter() - started
    total = sum(CASES.values())
    out = os.environ.get("PAGE_FUZZ_STATS")
    if out:
        Path(out).write_text(
            json.dumps(
                {"cases": CASES, "statuses": STATUSES, "failures": FAILURES, "seconds": seconds},
                ensure_ascii=False,
                indent=1,
            )
        )
    print(f"\npage fuzz: {total} requests over {len(CASES)} routes in {seconds:.1f} s, {len(FAILURES)} failures")
    assert len(TARGETS) >= 60  # the URL conf was walked, not an empty list
    assert total >= len(TARGETS)  # every pattern at least once
    assert not FAILURES, "\n".join(FAILURES[:40])
