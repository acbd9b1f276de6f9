"""Real servers for live tests and benchmarks (bench/ imports them too): the test database as a URL,
free ports, a process started and stopped around a block (its output in tests/artifacts/), a logged-in
session other processes can read, the hot standby's script and its replay lag, a ticket the API takes
in, and an in-process WebSocket client of a Channels consumer."""

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
PG_REPLICA = str(ROOT / "bin" / "pg-replica")
# Seconds the hot standby's replay is behind (0 when it has replayed all it received).
REPLAY_LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END"
)
# A phone request the API takes in and routes (长青社区, sewers): add its "description".
PHONE_TICKET = {
    "channel": "phone",
    "kind": "complaint",
    "category": "0101",
    "lon": 113.2952,
    "lat": 33.7549,
    "caller_name": "王芳",
    "caller_phone": "13812341234",
}


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
def process(
    args: list[str],
    port: int,
    name: str,
    env: dict | None = None,
    *,
    cwd: Path = ROOT,
    log_path: Path | None = None,
    append: bool = False,
    timeout: float = 30,
):
    """Run args until the block ends, once it listens on port (output to log_path, by default
    tests/artifacts/<name>.log)."""
    log_path = log_path or ARTIFACTS / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab" if append else "wb") as log:
        proc = subprocess.Popen(args, cwd=cwd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + timeout
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


def new_session(username: str) -> str:
    """The key of a new logged-in session of `username`, written through the current connection."""
    from django.contrib.sessions.backends.db import SessionStore

    from grid.models import User

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
    return s.session_key


def committed_session(username: str, django_db_blocker) -> str:
    """A logged-in session of `username` that other processes (a daphne server) can read: committed."""
    holder: dict[str, str] = {}

    def create():
        holder["key"] = new_session(username)

    run_committed(create, django_db_blocker)
    return holder["key"]


async def socket_connect(app, path: str, username: str):
    """A Channels test client of the consumer at `path`, as `username`, past the consumer's hello."""
    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator

    from grid.models import User

    user = await database_sync_to_async(User.objects.select_related("office").get)(username=username)
    comm = WebsocketCommunicator(app, path)
    comm.scope["user"] = user
    connected, _ = await comm.connect()
    assert connected
    hello = await comm.receive_json_from()
    assert hello["type"] == "hello"
    return comm


async def socket_received(comm, *, wait: float = 0.3) -> list[dict]:
    """Every message that arrives within `wait` of the previous one (receive_nothing keeps the app running)."""
    out = []
    while not await comm.receive_nothing(timeout=wait):
        out.append(await comm.receive_json_from())
    return out
