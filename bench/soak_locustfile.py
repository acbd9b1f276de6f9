"""The soak's users for locust (issue 17, item 8); bench/soak.py starts locust with this file.

Three kinds of users, each a fixed number, spread over the web processes in SOAK_HOSTS:
- CallTaker (SOAK_CALLTAKERS, default 50): the center's call-takers taking calls in — `POST /api/tickets/`
  (70% with a point, 30% with an address the offline geocoder places) every 6–14 s, then a look at the
  ticket they made.
- GridWorker (SOAK_GRID_WORKERS, default 500): grid workers polling their queue every 15–45 s, by the API
  (`GET /api/tickets/?status=…`) or the workstation page (`GET /w/`).
- Wall (SOAK_WALLS, default 200): the wall's WebSocket (websocket-client under gevent); every pushed
  ticket event is reported as a request "WS push" whose time is commit → received (the server's
  `sent_at`), so the pushes have their own p50/p95 in locust's table.
Sessions are made by bench/soak.py before the run (SOAK_SESSIONS: username → session id), so no
password is hashed during the soak; CSRF is a fixed token in cookie and header, as a browser sends.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time

import websocket
from locust import HttpUser, User, between, constant, events, task

HOSTS = os.environ.get("SOAK_HOSTS", "http://127.0.0.1:8001 http://127.0.0.1:8002").split()
SESSIONS: dict[str, str] = json.loads(os.environ.get("SOAK_SESSIONS", "{}"))
RUN = os.environ.get("SOAK_RUN", "soak")
CSRF = "0123456789abcdef0123456789abcdef"  # 32 characters: Django accepts the unmasked secret
CATEGORIES = ["0101", "0401", "0103", "0701", "0801", "1101", "0201", "1501", "0105", "2401"]
PAYLOADS: list[dict] = json.loads(os.environ.get("SOAK_PAYLOADS", "[]"))
GRID_WORKERS = ["changqing_grid", "guangminglu_grid2", "xiatang_grid", "wenquan_grid", "changqing_head"]
WALL_USERS = ["wall_viewer", "wall_viewer", "xinhua_dispatcher", "guangminglu_handler", "xiatang_handler"]
_host_turn = itertools.count()
_ticket_no = itertools.count()


def _next_host() -> str:
    return HOSTS[next(_host_turn) % len(HOSTS)]


class _SessionUser(HttpUser):
    abstract = True
    username = ""

    def __init__(self, environment):
        self.host = _next_host()
        super().__init__(environment)

    def on_start(self):
        self.client.cookies.set("sessionid", SESSIONS[self.username])
        self.client.cookies.set("csrftoken", CSRF)
        self.client.headers.update({"X-CSRFToken": CSRF, "Referer": self.host + "/"})


class CallTaker(_SessionUser):
    fixed_count = int(os.environ.get("SOAK_CALLTAKERS", "50"))
    wait_time = between(6, 14)
    username = "city_dispatcher"

    @task
    def take_a_call(self):
        n = next(_ticket_no)
        body = dict(PAYLOADS[n % len(PAYLOADS)]) if PAYLOADS else {}
        body.setdefault("channel", "phone")
        body.setdefault("kind", "complaint")
        body.setdefault("category", random.choice(CATEGORIES))
        body.setdefault("description", "群众来电反映：小区附近的问题已经持续多日，希望尽快处理")
        if "address" not in body and "lon" not in body:
            body["lon"], body["lat"] = 113.2952 + random.random() * 0.01, 33.7549 + random.random() * 0.01
        body["external_id"] = f"soak:{RUN}:{n}"
        with self.client.post(
            "/api/tickets/",
            json=body,
            headers={"Idempotency-Key": body["external_id"]},
            name="POST /api/tickets/ (intake)",
            catch_response=True,
        ) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code}: {r.text[:200]}")
                return
            number = r.json().get("number")
        if number:
            self.client.get(f"/api/tickets/{number}/", name="GET /api/tickets/[number]")


class GridWorker(_SessionUser):
    fixed_count = int(os.environ.get("SOAK_GRID_WORKERS", "500"))
    wait_time = between(15, 45)

    def __init__(self, environment):
        self.username = random.choice(GRID_WORKERS)
        super().__init__(environment)

    @task(3)
    def poll_queue_api(self):
        self.client.get("/api/tickets/?status=dispatched,in_progress", name="GET /api/tickets/ (queue)")

    @task(1)
    def poll_queue_page(self):
        self.client.get("/w/", name="GET /w/ (workstation queue)")


class Wall(User):
    fixed_count = int(os.environ.get("SOAK_WALLS", "200"))
    wait_time = constant(0)  # listening is the task: no pause between two reads

    def __init__(self, environment):
        super().__init__(environment)
        self.base = _next_host()
        self.username = random.choice(WALL_USERS)
        self.ws = None

    def on_start(self):
        self.connect()

    def connect(self):
        url = self.base.replace("http://", "ws://") + "/ws/maps/live/"
        t0 = time.time()
        try:
            self.ws = websocket.create_connection(
                url, cookie=f"sessionid={SESSIONS[self.username]}", origin=self.base, timeout=30
            )
            self.ws.recv()  # hello
            self.ws.settimeout(2)
            events.request.fire(
                request_type="WS",
                name="WS connect",
                response_time=(time.time() - t0) * 1000,
                response_length=0,
                exception=None,
                context={},
            )
        except Exception as exc:  # reported, then retried on the next task
            self.ws = None
            events.request.fire(
                request_type="WS",
                name="WS connect",
                response_time=(time.time() - t0) * 1000,
                response_length=0,
                exception=exc,
                context={},
            )

    def on_stop(self):
        if self.ws is not None:
            self.ws.close()

    @task
    def listen(self):
        if self.ws is None:
            self.connect()
            return
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                frame = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except Exception as exc:
                events.request.fire(
                    request_type="WS", name="WS closed", response_time=0, response_length=0, exception=exc, context={}
                )
                self.ws = None
                return
            msg = json.loads(frame)
            if "sent_at" in msg and msg.get("type", "").startswith("ticket."):
                events.request.fire(
                    request_type="WS",
                    name=f"WS push {msg['type']}",
                    response_time=max(0.0, time.time() - msg["sent_at"]) * 1000,
                    response_length=len(frame),
                    exception=None,
                    context={},
                )
