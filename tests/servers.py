"""Real server processes for live tests: the test database as a URL, free ports, and a
process started and stopped around a block (its output in tests/artifacts/)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"


def database_url() -> str:
    """The test database as a URL for a server process (Unix-socket hosts as ?host=)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="") + (f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else "")
    host, port = s["HOST"] or "", s["PORT"] or "5432"
    if host.startswith("/"):
        return f"postgis://{auth}@/{s['NAME']}?host={quote(host)}&port={port}"
    return f"postgis://{auth}@{host}:{port}/{s['NAME']}"


def run_committed(fn, django_db_blocker):
    """Run fn in a thread of its own, whose connection is outside the test's transaction
    (autocommit): for removing what server processes wrote, cascades and all."""
    import threading

    from django.db import connections

    errors: list[BaseException] = []

    def target():
        try:
            fn()
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    if errors:
        raise errors[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def process(args: list[str], port: int, name: str, env: dict | None = None):
    """Run args until the block ends, once it listens on port."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.time() > deadline:
                        raise RuntimeError(f"{name} did not start: {log_path.read_text()[-2000:]}") from None
                    time.sleep(0.2)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def committed_session(username: str, django_db_blocker) -> str:
    """A logged-in session of `username` that other processes (a daphne server) can read: committed."""
    from django.contrib.sessions.backends.db import SessionStore

    from grid.models import User

    holder: dict[str, str] = {}

    def create():
        user = User.objects.get(username=username)
        s = SessionStore()
        s.update(
            {
                "_auth_user_id": str(user.pk),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                "_auth_user_hash": user.get_session_auth_hash(),
            }
        )
        s.create()
        holder["key"] = s.session_key

    run_committed(create, django_db_blocker)
    return holder["key"]
