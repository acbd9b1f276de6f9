"""The soak's users for locust (issue 17, item 8); bench/soak.py starts locust with this file.

Three kinds of users, each a fixed number, spread over the web processes in SOAK_HOSTS, arriving over
the ramp-up bench/soak.py gives locust (90 s by default: a shift logging in, not a thundering herd).
Their think times, what a person at each seat does (the pace is a surge's, not a quiet hour's):
- CallTaker (SOAK_CALLTAKERS, default 50, the center's call-takers' sessions): one call after another.
  While the caller speaks the call-taker types the complaint; the console asks
  `POST /api/intake/suggest` after each pause in typing (console.js debounces 300 ms after the last key
  and cancels the one in flight), here 3 suggestions with the text growing, 1–2.5 s apart. Then
  `POST /api/tickets/` (70% with a point, 30% with an address the offline geocoder places), a look at
  the ticket made (`GET /api/tickets/<number>/`), and 2–8 s of wrap-up before the next call: a call
  every ~10 s per call-taker, ~5 tickets/s for 50 (Pingdingshan's surge figure in docs/DEPLOYMENT.md
  is 6/s). SOAK_CALL_PAUSE="lo hi" changes the wrap-up.
- GridWorker (SOAK_GRID_WORKERS, default 500): a grid worker looks at their queue every 15–45 s
  (SOAK_POLL="lo hi"), by the API (`GET /api/tickets/?status=…`, as the app does) or the workstation
  page (`GET /w/`), 3 : 1.
- Wall (SOAK_WALLS, default 200): the wall's WebSocket (websocket-client under gevent); every pushed
  ticket event is reported as a request "WS push" whose time is commit → received (the server's
  `sent_at`), so the pushes have their own p50/p95 in locust's table. On connecting, and every
  SOAK_WALL_REFRESH seconds (60, as maps/live.js re-reads the state every minute), the wall fetches
  its counters and the map (`GET /api/maps/summary`, `GET /api/maps/clusters`). Not modelled: the
  page's extra re-read 1.2 s after a push (debounced), which at a ticket every 0.2 s would be a re-read
  per wall every ~1.2 s — see docs/DEPLOYMENT.md "Soak".
Sessions are made by bench/soak.py before the run (SOAK_SESSIONS: username → session ids, one per
person), so no password is hashed during the soak; CSRF is a fixed token in cookie and header, as a browser sends.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time

import gevent
import websocket
from locust import HttpUser, User, between, constant, events, task
from locust.clients import HttpSession

HOSTS = os.environ.get("SOAK_HOSTS", "http://127.0.0.1:8001 http://127.0.0.1:8002").split()
SESSIONS: dict[str, list[str]] = json.loads(os.environ.get("SOAK_SESSIONS", "{}"))
RUN = os.environ.get("SOAK_RUN", "soak")
CSRF = "0123456789abcdef0123456789abcdef"  # 32 characters: Django accepts the unmasked secret
CATEGORIES = ["0101", "0401", "0103", "0701", "0801", "1101", "0201", "1501", "0105", "2401"]
PAYLOADS: list[dict] = json.loads(os.environ.get("SOAK_PAYLOADS", "[]"))
_ACCOUNTS = json.loads(os.environ.get("SOAK_ACCOUNTS", "{}"))
CALLTAKERS: list[str] = _ACCOUNTS.get("calltakers", ["city_calltaker"])
GRID_WORKERS: list[str] = _ACCOUNTS.get("grid", ["changqing_grid"])
WALL_USERS: list[str] = _ACCOUNTS.get("walls", ["wall_viewer"])
_host_turn = itertools.count()
_ticket_no = itertools.count()
_calltaker_no = itertools.count()
_grid_worker_no = itertools.count()
_wall_no = itertools.count()
CITY_BBOX = "112.2,33.1,113.8,34.3"  # Pingdingshan, the wall's first view
WALL_REFRESH = float(os.environ.get("SOAK_WALL_REFRESH", "60"))


_session_turn: dict[str, itertools.count] = {}


def _next_host() -> str:
    return HOSTS[next(_host_turn) % len(HOSTS)]


def _session_for(username: str) -> str:
    """The next of the account's sessions: each simulated person has a session of their own."""
    turn = _session_turn.setdefault(username, itertools.count())
    keys = SESSIONS[username]
    return keys[next(turn) % len(keys)]


def _pair(name: str, default: str) -> tuple[float, float]:
    lo, hi = (float(x) for x in os.environ.get(name, default).split())
    return lo, hi


class _SessionUser(HttpUser):
    abstract = True
    username = ""

    def __init__(self, environment):
        self.host = _next_host()
        super().__init__(environment)

    def on_start(self):
        self.client.cookies.set("sessionid", _session_for(self.username))
        self.client.cookies.set("csrftoken", CSRF)
        self.client.headers.update({"X-CSRFToken": CSRF, "Referer": self.host + "/"})


class CallTaker(_SessionUser):
    fixed_count = int(os.environ.get("SOAK_CALLTAKERS", "50"))
    wait_time = between(*_pair("SOAK_CALL_PAUSE", "2 8"))

    def __init__(self, environment):
        self.username = CALLTAKERS[next(_calltaker_no) % len(CALLTAKERS)]
        super().__init__(environment)

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
        text = body["description"]
        for typed in (0.4, 0.7, 1.0):  # a suggestion after each pause in typing
            time.sleep(random.uniform(1.0, 2.5))
            self.client.post(
                "/api/intake/suggest",
                json={"text": text[: max(4, int(len(text) * typed))], "address": body.get("address", "")},
                name="POST /api/intake/suggest",
            )
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
    wait_time = between(*_pair("SOAK_POLL", "15 45"))

    def __init__(self, environment):
        self.username = GRID_WORKERS[next(_grid_worker_no) % len(GRID_WORKERS)]
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
        self.username = WALL_USERS[next(_wall_no) % len(WALL_USERS)]
        self.ws = None
        self.http = HttpSession(self.base, request_event=environment.events.request, user=self)
        self.session = _session_for(self.username)
        self.http.cookies.set("sessionid", self.session)
        # a fetch a minute: a new connection each (a browser retries on a kept-alive one the server closed)
        self.http.headers["Connection"] = "close"
        self.refreshed = 0.0
        self.backoff = 1.0
        self.fetching = None

    def on_start(self):
        self.connect()

    def refresh(self):
        """What the page reads on (re)connecting and every minute: the counters and the map."""
        self.refreshed = time.time()
        self.http.get("/api/maps/summary", name="GET /api/maps/summary (wall)")
        self.http.get(f"/api/maps/clusters?bbox={CITY_BBOX}&zoom=9", name="GET /api/maps/clusters (wall)")

    def connect(self):
        url = self.base.replace("http://", "ws://") + "/ws/maps/live/"
        t0 = time.time()
        try:
            self.ws = websocket.create_connection(url, cookie=f"sessionid={self.session}", origin=self.base, timeout=30)
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
            self.refreshed, self.backoff = 0.0, 1.0  # the page re-reads everything on (re)connecting
        except Exception as exc:  # reported, then retried after a back-off, as maps/live.js does
            self.ws = None
            events.request.fire(
                request_type="WS",
                name="WS connect",
                response_time=(time.time() - t0) * 1000,
                response_length=0,
                exception=exc,
                context={},
            )
            time.sleep(self.backoff)
            self.backoff = min(self.backoff * 2, 15.0)

    def on_stop(self):
        if self.ws is not None:
            self.ws.close()

    @task
    def listen(self):
        if self.ws is None:
            self.connect()
            return
        if time.time() - self.refreshed >= WALL_REFRESH and (self.fetching is None or self.fetching.dead):
            # beside the socket, as the page's fetches are: the socket keeps answering daphne's pings
            self.fetching = gevent.spawn(self.refresh)
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
