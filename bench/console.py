"""The call-taker's console under load, through the full HTTP stack of daphne on the dev
database (the 20,000 demo tickets, `make setup`; the classifier trained, the demo seats loaded).

    .venv/bin/python bench/console.py [--agents 50] [--requests 20] [--think 1.0]

Measures, each beside a baseline in the same run:
1. POST /api/intake/suggest while 50 agents type at once (threads, each sending the text typed so far
   after a typing pause of about --think seconds, as the console's debounce does), p50/p95; beside the
   same request from one agent alone, beside the first version of the suggestions (bench/naive_suggest.py
   served as naive_suggest_asgi:application), beside GET /api/console/wall (the HTTP stack's floor:
   session, permission, one small query) from the same 50 agents; then on two daphne processes (the
   deployment's several workers, as `bin/cluster start` runs them), the agents dealt to them in turn.
2. Screen pop: POST /api/cti/events `ringing` → the message on the agent's console socket, p50/p95,
   idle and while the 50 agents type; beside the CTI POST's own round trip.
Targets (issue 13): suggestions p95 ≤ 100 ms; screen pop ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import http.client
import json
import os
import random
import secrets
import threading
import time
import uuid
from urllib.parse import urlsplit

from _common import ROOT, cpu_seconds, daphne_process, percentile, record, setup_django

EVAL = ROOT / "tests" / "data" / "classify_eval.csv"


def sessions_for(usernames: list[str]) -> dict[str, str]:
    """A session per user made in the database the server reads (no password hashing in the loop)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from grid.models import User

    out = {}
    for user in User.objects.filter(username__in=usernames):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        out[user.username] = store.session_key
    return out


class Agent:
    """One keep-alive HTTP connection with a session and a CSRF token, as a browser tab holds."""

    def __init__(self, base: str, session: str):
        u = urlsplit(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        csrf = secrets.token_hex(16)
        self.headers = {
            "Cookie": f"sessionid={session}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Content-Type": "application/json",
        }

    def call(self, method: str, path: str, body: dict | None = None) -> float:
        t0 = time.perf_counter()
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=self.headers)
        resp = self.conn.getresponse()
        resp.read()
        elapsed = time.perf_counter() - t0
        if resp.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {resp.status}")
        return elapsed


def typed_texts() -> list[str]:
    """What agents have typed so far: prefixes of the hand-written complaints, as the debounce sends them."""
    with EVAL.open(encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    out = []
    for text in texts:
        for end in range(12, len(text) + 8, 8):
            out.append(text[:end])
    return out


def run_agents(servers, session: str, agents: int, requests: int, think: float, make_request) -> list[float]:
    """`agents` threads, each sending `requests` requests with a pause of about `think` s between them."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []
    start = threading.Barrier(agents)

    def work(i: int):
        rnd = random.Random(i)
        agent = servers.agent(session)
        start.wait()
        time.sleep(rnd.uniform(0, think))  # agents do not all start typing in the same millisecond
        for n in range(requests):
            try:
                elapsed = make_request(agent, rnd, n)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(str(exc))
                continue
            with lock:
                latencies.append(elapsed)
            time.sleep(rnd.uniform(0.5 * think, 1.5 * think))
        agent.conn.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(agents)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return latencies


async def screen_pops(base: str, session: str, token: str, n: int) -> tuple[list[float], list[float]]:
    """(CTI POST → socket message, CTI POST round trip) for n ringing events to seat 8001."""
    import websockets

    u = urlsplit(base)
    pops, posts = [], []
    async with websockets.connect(
        f"ws://{u.hostname}:{u.port}/ws/console/",
        additional_headers={"Cookie": f"sessionid={session}"},
        origin=f"http://{u.hostname}:{u.port}",
        open_timeout=30,
    ) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello" and hello["extension"] == "8001", hello
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        for _ in range(n):
            call_id = f"bench-{uuid.uuid4().hex[:12]}"
            body = json.dumps({"event": "ringing", "call_id": call_id, "caller": "13800000000", "extension": "8001"})
            t0 = time.perf_counter()

            def post(body=body, t0=t0):
                conn.request(
                    "POST",
                    "/api/cti/events",
                    body=body,
                    headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                )
                resp = conn.getresponse()
                resp.read()
                assert resp.status == 202, resp.status
                return time.perf_counter() - t0

            posting = asyncio.create_task(asyncio.to_thread(post))
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                if msg.get("call_id") == call_id:
                    pops.append(time.perf_counter() - t0)
                    break
            posts.append(await posting)
            await asyncio.sleep(0.2)
    return pops, posts


def ms(values: list[float]) -> str:
    return f"{percentile(values, 50) * 1000:.1f} | {percentile(values, 95) * 1000:.1f}"


class RoundRobin:
    """Agents over several servers: each agent keeps one server (a browser tab keeps its connection),
    agents dealt to the servers in turn, as a round-robin load balancer does per connection."""

    def __init__(self, bases: list[str]):
        self.bases, self._next, self._lock = bases, 0, threading.Lock()
        self.seen: dict[str, set[str]] = {b: set() for b in bases}
        self.repeats = self.sent = 0

    def agent(self, session: str) -> Agent:
        with self._lock:
            base = self.bases[self._next % len(self.bases)]
            self._next += 1
        agent = Agent(base, session)
        agent.base = base
        return agent

    def note(self, base: str, text: str) -> None:
        """Count a text this server already answered (its caches may hold every part of it)."""
        with self._lock:
            self.sent += 1
            if text in self.seen[base]:
                self.repeats += 1
            self.seen[base].add(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="suggestions per agent")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between an agent's requests")
    parser.add_argument("--pops", type=int, default=40)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings

    from classify.services import current_model
    from console.demo import ensure_demo_console
    from console.models import CallRecord

    assert current_model() is not None, "train the classifier first: manage.py train_classifier"
    token = ensure_demo_console()["token"]
    sessions = sessions_for(["city_calltaker"])
    session = sessions["city_calltaker"]
    texts = typed_texts()
    env = {"MAPS_LIVE_TICK_SECONDS": "0", "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")])}
    rows: list[str] = []
    repeats: list[str] = []

    def cpu_of(procs) -> float:
        return sum(cpu_seconds(p.pid) for p in procs)

    def suggest_phase(label: str, servers: list) -> list[float]:
        """Warm each server, then one agent alone and the agents typing; a table row for each, with the
        servers' CPU per request (all their threads; PostgreSQL's own CPU not counted)."""
        bases, procs = [b for b, _p in servers], [p for _b, p in servers]
        rr = RoundRobin(bases)
        for base in bases:
            warm = Agent(base, session)
            for text in texts[:20]:  # the model, the gazetteer and the routing table load on first use
                warm.call("POST", "/api/intake/suggest", {"text": text})
                rr.note(base, text)

        def suggest(agent: Agent, rnd: random.Random, n: int) -> float:
            text = rnd.choice(texts)
            rr.note(agent.base, text)
            return agent.call("POST", "/api/intake/suggest", {"text": text})

        cpu = cpu_of(procs)
        alone = run_agents(rr, session, 1, 60, 0.05, suggest)
        cpu_alone, cpu = cpu_of(procs) - cpu, cpu_of(procs)
        loaded = run_agents(rr, session, args.agents, args.requests, args.think, suggest)
        cpu_loaded = cpu_of(procs) - cpu
        rows.append(f"| {label}: one agent alone | {len(alone)} | {ms(alone)} | {cpu_alone / len(alone) * 1000:.1f} |")
        rows.append(
            f"| **{label}: {args.agents} agents typing** | {len(loaded)} | **{ms(loaded)}** "
            f"| {cpu_loaded / len(loaded) * 1000:.1f} |"
        )
        repeats.append(f"{label} {rr.repeats / max(rr.sent, 1):.0%}")
        return loaded

    def wall(agent: Agent, rnd: random.Random, n: int) -> float:
        return agent.call("GET", "/api/console/wall")

    loads = [os.getloadavg()[0]]
    with daphne_process(env, app="naive_suggest_asgi:application") as server:
        suggest_phase("baseline (first version, bench/naive_suggest.py), one process", [server])
    loads.append(os.getloadavg()[0])
    with daphne_process(env) as server:
        base = server[0]
        suggest_phase("this tree, one process", [server])
        cpu = cpu_of([server[1]])
        floor = run_agents(RoundRobin([base]), session, args.agents, args.requests, args.think, wall)
        cpu_floor = cpu_of([server[1]]) - cpu
        idle_pops, idle_posts = asyncio.run(screen_pops(base, session, token, args.pops))
        # screen pops while the agents type
        rr = RoundRobin([base])
        box: dict = {}
        typing = threading.Thread(
            target=lambda: box.setdefault(
                "lat",
                run_agents(
                    rr,
                    session,
                    args.agents,
                    args.requests,
                    args.think,
                    lambda a, rnd, n: a.call("POST", "/api/intake/suggest", {"text": rnd.choice(texts)}),
                ),
            )
        )
        typing.start()
        time.sleep(args.think)
        busy_pops, busy_posts = asyncio.run(screen_pops(base, session, token, args.pops))
        typing.join()
        busy_typing = box["lat"]
    loads.append(os.getloadavg()[0])
    with daphne_process(env) as one, daphne_process(env) as two:
        suggest_phase("this tree, two processes (round robin)", [one, two])
    loads.append(os.getloadavg()[0])
    CallRecord.objects.filter(call_id__startswith="bench-").delete()
    n_texts = len(texts)
    lines = [
        f"Daphne on the dev database (20,000 demo tickets); {args.agents} agents are threads with a keep-alive "
        f"connection each, sending the text typed so far ({n_texts} prefixes of the 331 hand-written complaints, "
        f"drawn at random) after a typing pause of {args.think * 0.5:.1f}–{args.think * 1.5:.1f} s, "
        f"{args.requests} requests each. Each server warmed with 20 texts first. Layer: "
        f"{settings.CHANNEL_LAYERS['default']['BACKEND'].rsplit('.', 1)[-1]}. Baseline: the first version of "
        "the suggestions (bench/naive_suggest.py) served by the same project. Two processes: two daphne "
        "processes as `bin/cluster start` runs them, the agents dealt to them in turn. "
        "Targets: suggestions p95 ≤ 100 ms, screen pop ≤ 300 ms.",
        "",
        "| What | Requests | p50 ms | p95 ms | server CPU ms/request |",
        "|---|---|---|---|---|",
        *rows,
        f"| baseline: `GET /api/console/wall` (HTTP stack floor), one process, {args.agents} agents "
        f"| {len(floor)} | {ms(floor)} | {cpu_floor / len(floor) * 1000:.1f} |",
        f"| Screen pop: CTI `ringing` POST → console socket, idle | {len(idle_pops)} | {ms(idle_pops)} | |",
        f"| baseline: the CTI POST's own round trip, idle | {len(idle_posts)} | {ms(idle_posts)} | |",
        f"| Screen pop while {args.agents} agents type | {len(busy_pops)} | {ms(busy_pops)} | |",
        f"| baseline: the CTI POST's round trip while they type | {len(busy_posts)} | {ms(busy_posts)} | |",
        f"| (`suggest` during that run) | {len(busy_typing)} | {ms(busy_typing)} | |",
        "",
        "Texts a server had already answered (a text drawn again; its parts then come from the caches): "
        + ", ".join(repeats)
        + ".",
        "",
        "Load average (1 min) at the start and after each server: "
        + " → ".join(f"{x:.1f}" for x in loads)
        + " (shared machine, 2 cores).",
    ]
    record("Call-taker's console (bench/console.py)", lines)


if __name__ == "__main__":
    main()
