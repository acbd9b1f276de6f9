"""Real parallel connections: concurrent retries make one ticket; two handlers acting at once end in one
valid state; two supervisors never escalate the same ticket twice.

Each worker thread has its own database connection and commits, so the test's
own transaction cannot see or roll back what they did; each test removes its
committed rows itself.
"""

import datetime as dt
import threading

import pytest
from django.db import connection

from dispatch import services
from dispatch.exceptions import RuleViolation, TransitionNotAllowed
from dispatch.models import OutboundMessage, Ticket, TicketEvent
from dispatch.services import IntakeData
from dispatch.supervision import supervise_once
from grid.models import User
from tests.helpers import CHANGQING, WATER_REPLY, label

pytestmark = pytest.mark.django_db


def run_in_threads(target, n: int) -> list:
    """Run target(i) in n threads started together; each result or the exception it raised."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def work(i):
        try:
            barrier.wait(timeout=10)
            results[i] = target(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def committed(fn):
    """Run fn in another thread (its own connection, autocommit) and return its result."""
    return run_in_threads(lambda _i: fn(), 1)[0]


@pytest.fixture
def cleanup():
    numbers: list[str] = []
    yield numbers

    def purge():
        ids = list(Ticket.objects.filter(number__in=numbers).values_list("id", flat=True))
        OutboundMessage.objects.filter(ticket_id__in=ids).delete()
        Ticket.objects.filter(id__in=ids).delete()

    committed(purge)


def intake(key: str | None = None, **kw) -> Ticket:
    lon, lat = label(CHANGQING)
    data = IntakeData(
        channel="phone",
        kind="complaint",
        category=kw.pop("category", "0701"),
        description=kw.pop("description", "长青社区暖气管道漏水"),
        lon=lon,
        lat=lat,
        caller_name="王芳",
        caller_phone="13812341234",
        **kw,
    )
    return services.intake_ticket(data=data, idempotency_key=key).ticket


def test_concurrent_retries_with_one_idempotency_key_make_one_ticket(cleanup):
    results = run_in_threads(lambda i: intake("concurrent-retry-1").number, 8)
    cleanup.extend(r for r in results if isinstance(r, str))
    assert all(isinstance(r, str) for r in results), results
    assert len(set(results)) == 1
    assert committed(lambda: Ticket.objects.filter(idempotency_key__endswith="|concurrent-retry-1").count()) == 1


def test_concurrent_retries_with_one_external_id_make_one_ticket(cleanup):
    results = run_in_threads(lambda i: intake(external_id="ext-concurrent-1").number, 6)
    cleanup.extend(r for r in results if isinstance(r, str))
    assert len(set(results)) == 1 and all(isinstance(r, str) for r in results)


def test_two_handlers_signing_at_once_sign_once(cleanup):
    ticket = committed(intake)
    cleanup.append(ticket.number)
    heating = User.objects.get(username="heating_handler")
    results = run_in_threads(lambda i: services.sign_for(ticket=ticket, by=heating), 2)
    assert sorted(type(r).__name__ for r in results) == ["RuleViolation", "Ticket"]
    assert committed(lambda: TicketEvent.objects.filter(ticket=ticket, action="sign_for").count()) == 1


def test_reply_and_return_at_once_end_in_one_valid_state(cleanup):
    ticket = committed(intake)
    cleanup.append(ticket.number)
    heating = User.objects.get(username="heating_handler")
    street = User.objects.get(username="guangminglu_handler")
    committed(lambda: services.sign_for(ticket=ticket, by=heating))

    def act(i):
        if i == 0:
            return services.request_return(
                ticket=ticket, by=heating, reason="不属于供热范围", suggested_office="DEPT-water"
            )
        return services.sign_for(ticket=ticket, by=street)

    results = run_in_threads(act, 2)
    assert not any(isinstance(r, Exception) for r in results), results
    final = committed(lambda: Ticket.objects.get(pk=ticket.pk))
    assert final.status == "return_requested"
    log = committed(
        lambda: list(TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("from_status", "to_status"))
    )
    for (_f, to), (nxt_from, _t) in zip(log, log[1:]):
        assert nxt_from == to  # every event starts where the previous one ended: no lost update


def test_lead_replying_twice_at_once_replies_once(cleanup):
    ticket = committed(lambda: intake(category="0801", description="长青社区停水一整天"))
    cleanup.append(ticket.number)
    water = User.objects.get(username="water_handler")
    committed(lambda: services.sign_for(ticket=ticket, by=water))
    results = run_in_threads(lambda i: services.reply(ticket=ticket, by=water, **WATER_REPLY), 2)
    assert sorted(type(r).__name__ for r in results) == ["Reply", "TransitionNotAllowed"]
    assert isinstance(next(r for r in results if isinstance(r, Exception)), (TransitionNotAllowed, RuleViolation))


def test_two_supervisors_at_once_never_escalate_a_ticket_twice(cleanup):
    tickets = [committed(lambda i=i: intake(category="0103", description=f"光明路占道经营第{i}次")) for i in range(6)]
    cleanup.extend(t.number for t in tickets)
    now = tickets[-1].resolve_by + dt.timedelta(days=2)
    reports = run_in_threads(lambda i: supervise_once(now=now), 2)
    assert not any(isinstance(r, Exception) for r in reports), reports
    ids = [t.id for t in tickets]
    counts = committed(
        lambda: {
            a: TicketEvent.objects.filter(ticket_id__in=ids, action=a).count()
            for a in ("remind", "phone_supervision", "written_supervision")
        }
    )
    assert counts == {"remind": 6, "phone_supervision": 6, "written_supervision": 6}
    assert sum(r.phone for r in reports) == 6
