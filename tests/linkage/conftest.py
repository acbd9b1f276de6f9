"""Linkage fixtures: the demo console seats, a linked system's inbound token, and a fake linked system
(an HTTP server on 127.0.0.1 in a thread) that answers hand-overs the way it is told to."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from console.demo import ensure_demo_console
from linkage.models import LinkedSystem


@pytest.fixture
def seats(db):
    return ensure_demo_console()


@pytest.fixture
def police_token(db) -> str:
    return LinkedSystem.objects.get(code="110").issue_token()


class FakeLinkedSystem:
    """Answers each POST with the next of `answers` (status, body), the last one repeated; keeps what it got.
    Like a real system it gives one reference per idempotency key."""

    def __init__(self):
        self.received: list[dict] = []
        self.answers: list[tuple[int, dict]] = [(201, {})]
        self.references: dict[str, str] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.received.append({"headers": dict(self.headers), "body": body})
                status, answer = fake.answers.pop(0) if len(fake.answers) > 1 else fake.answers[0]
                if status < 300:
                    key = self.headers["Idempotency-Key"]
                    answer = {"reference": fake.references.setdefault(key, f"JJ-{len(fake.references) + 1:04d}")}
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/handovers"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_110(settings):
    fake = FakeLinkedSystem()
    settings.LINKAGE_BACKEND = "linkage.backends.HttpJsonBackend"
    settings.LINKAGE_ENDPOINTS = {"110": {"url": fake.url, "token": "secret-to-110", "timeout": 2}}
    settings.LINKAGE_RETRY_BACKOFF = 0.01
    yield fake
    fake.close()
