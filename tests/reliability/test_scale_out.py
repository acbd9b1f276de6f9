"""Scale-out on one machine (issue 8, item 7): `bin/cluster` (`make cluster`) runs two daphne
processes and two supervisors against one PostGIS and one Redis.

- A ticket posted to process A reaches a wall socket held by process B (the same path as
  tests/maps/test_two_servers_on_redis.py, here through the cluster the runner starts).
- Two supervisor processes working through the same owed tickets at once, in small batches so
  that they really interleave, flag and escalate each ticket exactly once [SV-1][CB-1]: every
  row they act on is taken with SELECT … FOR UPDATE SKIP LOCKED and re-checked under the lock
  (dispatch.supervision).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import subprocess
import time
import uuid
from collections import Counter

import pytest
import requests
from django.db import connection, transaction
from django.utils import timezone

from dispatch.models import OutboundMessage, Ticket, TicketEvent
from dispatch.sla import NEAR_DEADLINE_FRACTION
from tests.helpers import CHANGQING, make_ticket
from tests.servers import ROOT, committed_session, database_url, free_port, run_committed

pytestmark = pytest.mark.django_db

PER_LEVEL = 60
CALLBACKS = 30
EXPECTED = {
    1: ["remind"],
    2: ["remind", "phone_supervision"],
    3: ["remind", "phone_supervision", "written_supervision"],
}
PASS_LINE = re.compile(r"supervision: reminders (\d+), phone (\d+), written (\d+), .* callbacks overdue (\d+)")


def make_tickets(run: str) -> dict[str, list[int]]:
    """Committed, routed tickets (with their real deadlines: nothing owed yet), in four groups."""
    groups = {}
    for group, n in (("1", PER_LEVEL), ("2", PER_LEVEL), ("3", PER_LEVEL), ("callback", CALLBACKS)):
        groups[group] = [
            make_ticket(code=CHANGQING, description=f"{run} {group}组 {i}号 楼道灯坏了").id for i in range(n)
        ]
    return groups


def make_owed(groups: dict[str, list[int]]) -> None:
    """Move the clocks so that the supervisor owes level 1, 2 or 3 on each group (stable for an hour)
    and a callback on the last: all at once, for supervisors that are already running."""
    now = timezone.now()
    window = dt.timedelta(hours=10)
    shapes = {  # (clock started, resolve by)
        1: (now - window * NEAR_DEADLINE_FRACTION - dt.timedelta(minutes=1), None),
        2: (now - dt.timedelta(hours=2), now - dt.timedelta(minutes=1)),
        3: (now - dt.timedelta(hours=3), now - dt.timedelta(hours=2)),
    }
    with transaction.atomic():
        for level, (start, resolve) in shapes.items():
            Ticket.objects.filter(id__in=groups[str(level)]).update(
                clock_started_at=start,
                resolve_by=resolve or start + window,
                reply_by=resolve or start + window,
                sign_by=None,
                supervision_level=0,
            )
        Ticket.objects.filter(id__in=groups["callback"]).update(
            status="closed", callback_due=now - dt.timedelta(hours=1)
        )


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, tmp_path_factory):
    """The cluster started against the test database with tickets committed; once both supervisors
    have made a pass, the tickets become owed all at once, so both work on the same backlog."""
    run = f"scale-{uuid.uuid4().hex[:8]}"
    tmp_path = tmp_path_factory.mktemp("cluster")
    groups: dict = {}
    run_committed(lambda: groups.update(make_tickets(run)), django_db_blocker)
    with django_db_blocker.unblock():
        connection.ensure_connection()
        db_url = database_url()
    ports = [free_port(), free_port()]
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",  # the production pool, as deployed
        "DEBUG": "0",
        "CLUSTER_DIR": str(tmp_path / "cluster"),
        "CLUSTER_PORTS": " ".join(map(str, ports)),
        "CLUSTER_REDIS_PORT": str(free_port()),
        "CHANNELS_PREFIX": run,
        "MAPS_LIVE_TICK_SECONDS": "0",
        "SUPERVISE_INTERVAL": "0.3",
        "SUPERVISE_BATCH": "5",
    }
    env.pop("REDIS_URL", None)
    bin_cluster = str(ROOT / "bin" / "cluster")
    started = subprocess.run([bin_cluster, "start"], env=env, capture_output=True, text=True, timeout=120)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        logs = [tmp_path / "cluster" / f"supervisor-{n}.log" for n in (1, 2)]
        deadline = time.time() + 60
        while not all(passes(log) for log in logs) and time.time() < deadline:
            time.sleep(0.2)
        assert all(passes(log) for log in logs), [log.read_text()[-1000:] for log in logs]
        run_committed(lambda: make_owed(groups), django_db_blocker)
        yield {"run": run, "groups": groups, "ports": ports, "dir": tmp_path / "cluster", "env": env}
    finally:
        stopped = subprocess.run([bin_cluster, "stop"], env=env, capture_output=True, text=True, timeout=60)
        assert stopped.returncode == 0, stopped.stderr
        status = subprocess.run([bin_cluster, "status"], env=env, capture_output=True, text=True)
        assert status.returncode == 3, status.stdout  # nothing left running

        def purge():
            ids = [i for g in groups.values() for i in g]
            ids += list(Ticket.objects.filter(description__startswith=run).values_list("id", flat=True))
            OutboundMessage.objects.filter(ticket_id__in=ids).delete()
            Ticket.objects.filter(id__in=ids).delete()

        run_committed(purge, django_db_blocker)


def passes(path) -> list[tuple[int, int, int, int]]:
    if not path.exists():
        return []
    return [tuple(map(int, m.groups())) for m in PASS_LINE.finditer(path.read_text())]


def test_two_supervisor_processes_share_the_work_and_never_flag_a_ticket_twice(cluster, django_db_blocker):
    groups, logs = cluster["groups"], cluster["dir"]
    total = {1: PER_LEVEL, 2: 2 * PER_LEVEL, 3: 3 * PER_LEVEL}
    expected_events = sum(total.values())
    ids = [i for g in groups.values() for i in g]

    def flags() -> list:
        return list(
            TicketEvent.objects.filter(
                ticket_id__in=ids,
                action__in=["remind", "phone_supervision", "written_supervision", "flag_callback_overdue"],
            )
            .order_by("id")
            .values_list("ticket_id", "action")
        )

    deadline = time.time() + 60
    while time.time() < deadline and len(run_in_thread(flags, django_db_blocker)) < expected_events + CALLBACKS:
        time.sleep(0.5)
    time.sleep(1.5)  # a few more passes of both: nothing more may happen
    events, levels, messages = run_in_thread(
        lambda: (
            flags(),
            dict(Ticket.objects.filter(id__in=ids).values_list("id", "supervision_level")),
            list(OutboundMessage.objects.filter(ticket_id__in=ids).values_list("ticket_id", "purpose")),
        ),
        django_db_blocker,
    )
    by_ticket: dict[int, list[str]] = {}
    for ticket_id, action in events:
        by_ticket.setdefault(ticket_id, []).append(action)
    for level in (1, 2, 3):
        for ticket_id in groups[str(level)]:
            assert by_ticket.get(ticket_id) == EXPECTED[level], (level, ticket_id, by_ticket.get(ticket_id))
            assert levels[ticket_id] == level
    for ticket_id in groups["callback"]:
        assert by_ticket.get(ticket_id) == ["flag_callback_overdue"]
    # the reply-deadline flags [SLA-1] are another rule's messages; this test counts the escalation steps
    messages = [m for m in messages if m[1] != "reply_overdue"]
    duplicates = [k for k, n in Counter(messages).items() if n > 1]
    assert not duplicates  # one message to the lead unit per escalation step, never two
    assert len(messages) == expected_events

    # Both processes took part: the work is shared, not done by one while the other idled.
    done = {}
    for n in (1, 2):
        rows = passes(logs / f"supervisor-{n}.log")
        done[n] = sum(r + p + w + c for r, p, w, c in rows)
    assert done[1] + done[2] == expected_events + CALLBACKS, done
    assert done[1] > 0 and done[2] > 0, done


def run_in_thread(fn, django_db_blocker):
    out = []
    run_committed(lambda: out.append(fn()), django_db_blocker)
    return out[0]


def test_a_ticket_posted_to_one_process_reaches_a_wall_socket_on_the_other(cluster, django_db_blocker):
    import websockets

    port_a, port_b = cluster["ports"]
    base_a, base_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    dispatcher = committed_session("city_dispatcher", django_db_blocker)
    wall = committed_session("wall_viewer", django_db_blocker)
    csrf = uuid.uuid4().hex  # 32 characters: Django accepts the unmasked secret

    async def scenario():
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port_b}/ws/maps/live/",
            additional_headers={"Cookie": f"sessionid={wall}"},
            origin=base_b,
        )
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "hello"
        posted = await asyncio.to_thread(
            requests.post,
            f"{base_a}/api/tickets/",
            json={
                "channel": "phone",
                "kind": "complaint",
                "category": "0101",
                "description": f"{cluster['run']} 长青社区楼下下水道堵了，污水溢到路面上",
                "lon": 113.2952,
                "lat": 33.7549,
                "caller_name": "王芳",
                "caller_phone": "13812341234",
            },
            headers={
                "Cookie": f"sessionid={dispatcher}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
                "Idempotency-Key": cluster["run"],
            },
            timeout=10,
        )
        assert posted.status_code == 201, posted.text[:500]
        while True:  # the supervisors' escalations of the backlog are pushed too: wait for ours
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if message["type"] == "ticket.created":
                break
        assert message["number"] == posted.json()["number"]
        await ws.close()

    asyncio.run(scenario())
