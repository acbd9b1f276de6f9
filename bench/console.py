"""The call-taker's console under load, through the full HTTP stack of one daphne process on the dev
database (the 20,000 demo tickets, `make setup`; the classifier trained, the demo seats loaded).

    .venv/bin/python bench/console.py [--agents 50] [--requests 20] [--think 1.0]

Measures, each beside a baseline in the same run:
1. POST /api/intake/suggest while 50 agents type at once (threads, each sending the text typed so far
   after a typing pause of about --think seconds, as the console's debounce does), p50/p95; beside the
   same request from one agent alone, and beside GET /api/console/wall (the HTTP stack's floor: session,
   permission, one small query) from the same 50 agents.
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
import random
import secrets
import threading
import time
import uuid
from urllib.parse import urlsplit

from _common import ROOT, daphne_server, percentile, record, setup_django

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


def run_agents(base: str, session: str, agents: int, requests: int, think: float, make_request) -> list[float]:
    """`agents` threads, each sending `requests` requests with a pause of about `think` s between them."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []
    start = threading.Barrier(agents)

    def work(i: int):
        rnd = random.Random(i)
        agent = Agent(base, session)
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

    def suggest(agent: Agent, rnd: random.Random, n: int) -> float:
        return agent.call("POST", "/api/intake/suggest", {"text": rnd.choice(texts)})

    def wall(agent: Agent, rnd: random.Random, n: int) -> float:
        return agent.call("GET", "/api/console/wall")

    lines = []
    with daphne_server({"MAPS_LIVE_TICK_SECONDS": "0"}) as base:
        warm = Agent(base, session)
        for text in texts[:20]:  # the model, the gazetteer and the routing table load on first use
            warm.call("POST", "/api/intake/suggest", {"text": text})
        alone = run_agents(base, session, 1, 60, 0.05, suggest)
        floor = run_agents(base, session, args.agents, args.requests, args.think, wall)
        loaded = run_agents(base, session, args.agents, args.requests, args.think, suggest)
        idle_pops, idle_posts = asyncio.run(screen_pops(base, session, token, args.pops))
        # screen pops while the agents type
        box: dict = {}
        typing = threading.Thread(
            target=lambda: box.setdefault(
                "lat", run_agents(base, session, args.agents, args.requests, args.think, suggest)
            )
        )
        typing.start()
        time.sleep(args.think)
        busy_pops, busy_posts = asyncio.run(screen_pops(base, session, token, args.pops))
        typing.join()
        busy_typing = box["lat"]
    CallRecord.objects.filter(call_id__startswith="bench-").delete()
    n_texts = len(texts)
    lines += [
        f"One daphne process on the dev database (20,000 demo tickets); {args.agents} agents are threads with a keep-alive "
        f"connection each, sending the text typed so far ({n_texts} prefixes of the 331 hand-written complaints) after "
        f"a typing pause of {args.think * 0.5:.1f}–{args.think * 1.5:.1f} s, {args.requests} requests each. "
        f"Layer: {settings.CHANNEL_LAYERS['default']['BACKEND'].rsplit('.', 1)[-1]}. Targets: suggestions p95 ≤ 100 ms, screen pop ≤ 300 ms.",
        "",
        "| What | Requests | p50 ms | p95 ms |",
        "|---|---|---|---|",
        f"| `POST /api/intake/suggest`, {args.agents} agents typing | {len(loaded)} | {ms(loaded)} |",
        f"| baseline: the same, one agent alone | {len(alone)} | {ms(alone)} |",
        f"| baseline: `GET /api/console/wall` (HTTP stack floor), {args.agents} agents | {len(floor)} | {ms(floor)} |",
        f"| Screen pop: CTI `ringing` POST → console socket, idle | {len(idle_pops)} | {ms(idle_pops)} |",
        f"| baseline: the CTI POST's own round trip, idle | {len(idle_posts)} | {ms(idle_posts)} |",
        f"| Screen pop while {args.agents} agents type | {len(busy_pops)} | {ms(busy_pops)} |",
        f"| baseline: the CTI POST's round trip while they type | {len(busy_posts)} | {ms(busy_posts)} |",
        f"| (`suggest` during that run) | {len(busy_typing)} | {ms(busy_typing)} |",
    ]
    try:
        load = open("/proc/loadavg").read().split()[0]
        lines += ["", f"Load average when it finished: {load} (shared machine)."]
    except OSError:
        pass
    record("Call-taker's console (bench/console.py)", lines)


if __name__ == "__main__":
    main()
