"""Exactly-once intake under retries and faults (issue 8, item 1).

Posts N tickets (default 5,000) with idempotency keys from C concurrent clients (default 20)
against real daphne processes (default 2) and a real supervisor, all on a throwaway PostGIS
cluster of their own and a private Redis (channels-redis), while it

  (a) restarts the PostGIS cluster once (pg_ctl stop -m fast, a few seconds down, start),
  (b) SIGKILLs the supervisor, lets deadlines fall due while it is dead, and restarts it,
  (c) stops Redis (the channel layer of both servers) and starts it again.

Every client retries on any error, timeout or refused connection with exponential backoff
and the same Idempotency-Key, and sends its retry to the next server (as a load balancer
would). Afterwards it checks, and prints: exactly N tickets for the run's keys, each
routed or in the manual queue with its reason, no orphan assignments, no duplicate keys,
every deadline flag the supervisor owed raised once after its restart, and that the
servers and the supervisor are still alive and serving.

    .venv/bin/python bench/intake_faults.py                 # 5,000 tickets, 20 clients, record
    .venv/bin/python bench/intake_faults.py --tickets 300 --clients 5 --no-record --json out.json

The cluster is made with bin/pg-local (PG_LOCAL_DIR under /tmp) and filled by cloning the
reference data (grid, gazetteer, categories, SLA policies, users) of --clone-from (default:
the worktree's database) with pg_dump/pg_restore, then emptying the ticket tables; it is
removed at the end. tests/reliability/test_intake_faults.py runs this script at small scale.
Exit status 0 only if every check passed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, percentile, record  # noqa: E402

PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
CATEGORIES = ["0101", "0401", "0103", "0701", "0801", "1101", "0201", "1501", "0105", "2401"]
# Ticket data is not cloned: the ticket table and every table that references it, directly or through
# another (attachments, photos, delegations, drafts, events ...), found from the source's foreign keys so
# that a table added later cannot be forgotten (a hand-written list kept dispatch_attachment, and
# pg_restore then broke on its foreign key to the emptied ticket table).
TICKET_TABLES_SQL = """
WITH RECURSIVE referencing(oid) AS (
    SELECT 'dispatch_ticket'::regclass::oid
    UNION
    SELECT c.conrelid FROM pg_constraint c JOIN referencing r ON c.confrelid = r.oid WHERE c.contype = 'f'
)
SELECT n.nspname, t.relname FROM referencing r
JOIN pg_class t ON t.oid = r.oid JOIN pg_namespace n ON n.oid = t.relnamespace
ORDER BY 1, 2
"""


def ticket_tables(source_url: str) -> list[str]:
    """schema.table of the ticket table and of every table referencing it, directly or transitively."""
    return [f"{schema}.{table}" for schema, table in sql(source_url, TICKET_TABLES_SQL)]


_T0 = time.time()


def log(msg: str) -> None:
    print(f"[{time.time() - _T0:7.1f} s] {msg}", flush=True)  # elapsed: Django resets the time zone midway


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{log_path.name} did not start: {log_path.read_text()[-2000:]}") from None
            time.sleep(0.2)


def libpq(url: str) -> str:
    return url.replace("postgis://", "postgresql://", 1)


# ---------------------------------------------------------------------------
# The pieces that get faults: PostGIS cluster, Redis, daphne servers, supervisor
# ---------------------------------------------------------------------------


class Cluster:
    """A throwaway PostGIS cluster made and driven by bin/pg-local (Unix socket only)."""

    def __init__(self, workdir: Path):
        self.dir = workdir / "pg"
        self.dir.mkdir(mode=0o755)
        self.env = {**os.environ, "PG_LOCAL_DIR": str(self.dir), "PGPORT_LOCAL": "54329", "PGDATABASE_LOCAL": "faults"}

    def _pg_local(self, *args: str) -> str:
        out = subprocess.run(
            [str(ROOT / "bin" / "pg-local"), *args], env=self.env, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()

    def start(self) -> None:
        self._pg_local("start")

    def stop(self) -> None:
        self._pg_local("stop")

    @property
    def url(self) -> str:
        return self._pg_local("url")

    def clone_reference_data(self, source_url: str) -> None:
        """Schema and reference data of source_url, no tickets."""
        dump = self.dir / "reference.dump"
        excludes = [f"--exclude-table-data={t}" for t in ticket_tables(source_url)]
        subprocess.run(
            [PGBIN / "pg_dump", "-Fc", "-Z0", *excludes, "-f", dump, libpq(source_url)], check=True, capture_output=True
        )
        target = libpq(self.url)
        run = subprocess.run(
            [PGBIN / "pg_restore", "--no-owner", "--exit-on-error", "-d", target, dump], capture_output=True, text=True
        )
        if run.returncode != 0:
            raise RuntimeError(f"pg_restore failed: {run.stderr[-2000:]}")
        subprocess.run(
            [PGBIN / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", target, "-c",
             "TRUNCATE dispatch_ticket, django_session CASCADE"],
            check=True, capture_output=True,
        )  # fmt: skip

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Proc:
    """A process that can be started again with the same arguments (output appended to a log)."""

    def __init__(self, name: str, args: list[str], env: dict, logdir: Path, port: int | None = None):
        self.name, self.args, self.env, self.port = name, args, env, port
        self.log_path = logdir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                self.args, cwd=ROOT, env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT
            )
        if self.port:
            wait_port(self.port, self.proc, self.log_path)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


# ---------------------------------------------------------------------------
# Payloads, sessions and clients
# ---------------------------------------------------------------------------


def make_payloads(n: int, seed: int) -> list[dict]:
    """Realistic intake bodies: 75% a point inside a community (urban-weighted), 25% only an address
    text from the geocoder's labelled set (some of which the offline geocoder cannot place)."""
    import numpy as np

    from dispatch.routing import routing_table
    from geo.evaluation import PLACED, load_eval
    from loaders.demo import Places

    rng = random.Random(seed)
    places = Places(np.random.default_rng(seed), routing_table())
    addresses = [r.text for r in load_eval(ROOT / "tests" / "data" / "geocode_eval.csv") if r.precision in PLACED]
    out = []
    for i in range(n):
        body = {
            "channel": rng.choice(["phone", "phone", "web", "wechat"]),
            "kind": rng.choice(["complaint", "complaint", "help", "report"]),
            "urgency": rng.choice(["general"] * 8 + ["urgent", "extra_urgent"]),
            "category": rng.choice(CATEGORIES),
            "description": f"群众来电反映：小区附近的问题已经持续多日，希望尽快处理（第{i}号）",
            "caller_name": "王芳",
            "caller_phone": f"138{rng.randint(0, 99_999_999):08d}",
        }
        if rng.random() < 0.25:
            body["address"] = rng.choice(addresses)
        else:
            _area, lon, lat = places.draw(rng.choice(["urban", "other", "hotspot"]))
            body["lon"], body["lat"] = round(lon, 6), round(lat, 6)
        out.append(body)
    return out


def session_cookie(username: str) -> str:
    from django.test import Client

    from grid.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client.cookies["sessionid"].value


@dataclass
class Outcome:
    key: str
    status: int = 0
    attempts: int = 0
    replayed: bool = False
    done_at: float = 0.0
    server: int = -1
    latency: float = 0.0  # of the attempt that succeeded
    number: str = ""
    failure: str = ""


@dataclass
class Load:
    """What the clients saw: one Outcome per key, every failed attempt by cause and time."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    errors: list[tuple[float, int, str]] = field(default_factory=list)  # (time, server, cause)
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: int = 0


def run_clients(
    bases: list[str], payloads: list[dict], *, clients: int, run: str, cookie: str, load: Load, deadline: float
) -> None:
    """Each client posts its share; on any error it backs off (0.1 s × 2^n, capped at 3 s, jittered) and
    retries the same key on the next server until it gets 200/201 or a 4xx that is final."""
    csrf = secrets.token_hex(16)
    chunks = [list(enumerate(payloads))[i::clients] for i in range(clients)]

    def client(c: int) -> None:
        rng = random.Random(c)
        conns: dict[int, http.client.HTTPConnection] = {}
        headers = {"Content-Type": "application/json", "Cookie": f"sessionid={cookie}; csrftoken={csrf}"}
        headers["X-CSRFToken"] = csrf
        for i, body in chunks[c]:
            key = f"{run}:{i}"
            out = Outcome(key)
            server = c % len(bases)
            data = json.dumps(body, ensure_ascii=False).encode()
            while True:
                out.attempts += 1
                base = urlsplit(bases[server])
                conn = conns.get(server) or http.client.HTTPConnection(base.hostname, base.port, timeout=20)
                conns[server] = conn
                t = time.perf_counter()
                cause = ""
                try:
                    conn.request(
                        "POST",
                        "/api/tickets/",
                        body=data,
                        headers={**headers, "Idempotency-Key": key, "Referer": bases[server]},
                    )
                    resp = conn.getresponse()
                    text = resp.read()
                    if resp.status in (200, 201):
                        out.status, out.server = resp.status, server
                        out.replayed = resp.getheader("Idempotent-Replayed") == "true"
                        out.latency = time.perf_counter() - t
                        out.number = json.loads(text).get("number", "")
                        break
                    if 400 <= resp.status < 500 and resp.status not in (408, 429):
                        out.status, out.failure = resp.status, text[:300].decode(errors="replace")
                        break  # a final answer about the request itself: retrying cannot change it
                    cause = f"HTTP {resp.status}"
                    if resp.getheader("Connection", "").lower() == "close":
                        conn.close()
                        conns.pop(server, None)
                except (OSError, http.client.HTTPException) as exc:
                    cause = "timeout" if isinstance(exc, TimeoutError | socket.timeout) else type(exc).__name__
                    conn.close()
                    conns.pop(server, None)
                with load.lock:
                    load.errors.append((time.time(), server, cause))
                if time.time() > deadline:
                    out.failure = f"gave up after {out.attempts} attempts ({cause})"
                    break
                time.sleep(min(3.0, 0.1 * 2 ** min(out.attempts - 1, 5)) * rng.uniform(0.5, 1.0))
                server = (server + 1) % len(bases)
            out.done_at = time.time()
            with load.lock:
                load.outcomes[key] = out
                load.done += 1
        for conn in conns.values():
            conn.close()

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


class WallWatcher(threading.Thread):
    """A city wall's WebSocket on one server, reconnecting whenever it drops: when did ticket.created
    messages arrive (to see live pushes come back after Redis restarts)."""

    def __init__(self, base: str, cookie: str):
        super().__init__(daemon=True)
        self.base, self.cookie = base, cookie
        self.received: list[float] = []
        self.disconnects: list[float] = []
        self.connected_since: float | None = None  # None while the socket is down
        self.stopping = threading.Event()

    def run(self) -> None:
        from websockets.sync.client import connect

        uri = self.base.replace("http://", "ws://") + "/ws/maps/live/"
        while not self.stopping.is_set():
            try:
                with connect(
                    uri, additional_headers={"Cookie": f"sessionid={self.cookie}"}, origin=self.base, open_timeout=5
                ) as ws:
                    self.connected_since = time.time()
                    while not self.stopping.is_set():
                        try:
                            message = json.loads(ws.recv(timeout=1))
                        except TimeoutError:
                            continue
                        if message.get("type") == "ticket.created":
                            self.received.append(time.time())
            except Exception:
                self.connected_since = None
                self.disconnects.append(time.time())
                time.sleep(0.5)

    def steady(self, *, seconds: float = 1.5, timeout: float = 30.0) -> bool:
        """Wait until the socket has stayed up for `seconds` (a wall that reconnected after a Redis
        restart must be subscribed again before a push can reach it)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            since = self.connected_since
            if since is not None and time.time() - since >= seconds:
                return True
            time.sleep(0.2)
        return False


# ---------------------------------------------------------------------------
# Deadlines that fall due while the supervisor is dead
# ---------------------------------------------------------------------------


def sql(url: str, query: str, params=None, *, fetch: bool = True):
    """One statement on a fresh connection (the harness must not hold a connection across a restart)."""
    import psycopg

    with psycopg.connect(libpq(url), autocommit=True, connect_timeout=10) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if fetch and cur.description else None


def move_deadlines(url: str, run: str, *, per_level: int, killed_at: float, down: float) -> dict[int, list[int]]:
    """Give routed tickets of this run clocks that fall due while the supervisor is dead, so that by
    killed_at + down/3 it owes level 1 (near deadline), 2 (overdue) or 3 (long overdue) on each, and
    owes nothing more for an hour after. What a long run of the clock would do, compressed."""
    due = killed_at + down / 3
    rows = sql(
        url,
        "SELECT id FROM dispatch_ticket WHERE idempotency_key LIKE %s AND status = 'dispatched' "
        "AND supervision_level = 0 ORDER BY id LIMIT %s",
        [f"%|{run}:%", per_level * 3],  # keys are stored as "<client>|<key>"
    )
    ids = [r[0] for r in rows]
    groups = {1: ids[0::3], 2: ids[1::3], 3: ids[2::3]}
    from dispatch.sla import NEAR_DEADLINE_FRACTION as near

    window = 10 * 3600.0
    # (clock start, resolve by) in seconds relative to `due`, by the escalation rule of dispatch.supervision:
    shapes = {
        1: (-near * window, (1 - near) * window),  # the near-deadline share used at `due`; overdue hours later
        2: (-3600.0, 0.0),  # overdue at `due`; written supervision only an hour later
        3: (-2 * down / 6, -down / 6),  # overdue by its whole (short) allowance at `due`
    }
    for level, ticket_ids in groups.items():
        start, resolve = shapes[level]
        sql(
            url,
            "UPDATE dispatch_ticket SET clock_started_at = to_timestamp(%s), resolve_by = to_timestamp(%s), "
            "reply_by = to_timestamp(%s), sign_by = NULL, supervision_level = 0, near_deadline_at = NULL, "
            "overdue_at = NULL WHERE id = ANY(%s)",
            [due + start, due + resolve, due + resolve, ticket_ids],
            fetch=False,
        )
    return groups


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def refuses(connect) -> bool:
    """Whether a connection attempt fails (to see that a stopped service really is down)."""
    try:
        connect()
    except Exception:
        return True
    return False


def supervisor_passes(path: Path) -> int:
    try:
        return sum(1 for line in path.read_text(errors="replace").splitlines() if line.startswith("supervise: "))
    except OSError:
        return 0


def wait_for_passes(path: Path, n: int, timeout: float) -> bool:
    """Wait until the supervisor's log shows n more completed passes."""
    target = supervisor_passes(path) + n
    deadline = time.time() + timeout
    while time.time() < deadline:
        if supervisor_passes(path) >= target:
            return True
        time.sleep(0.2)
    return False


def first_success_after(load: Load, t: float) -> float | None:
    with load.lock:
        times = [o.done_at for o in load.outcomes.values() if o.status in (200, 201) and o.done_at >= t]
    return min(times) - t if times else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=5000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--servers", type=int, default=2)
    ap.add_argument("--db-down", type=float, default=5.0, help="seconds the PostGIS cluster stays stopped")
    ap.add_argument("--supervisor-down", type=float, default=20.0, help="seconds the supervisor stays dead")
    ap.add_argument("--redis-down", type=float, default=5.0, help="seconds Redis stays stopped")
    ap.add_argument("--flags-per-level", type=int, default=30, help="tickets moved per escalation level")
    ap.add_argument(
        "--quiet", type=float, default=6.5, help="seconds without pushes before the probe (over redis-py's 5 s)"
    )
    ap.add_argument("--clone-from", default="", help="database URL to copy reference data from (default: settings)")
    ap.add_argument("--json", type=Path, help="write the figures and checks here")
    ap.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    ap.add_argument("--keep", action="store_true", help="keep the throwaway cluster and logs")
    ap.add_argument(
        "--no-faults", action="store_true", help="inject no fault: the same load, to measure intake throughput"
    )
    args = ap.parse_args(argv)

    run = f"faults-{uuid.uuid4().hex[:8]}"
    workdir = Path(tempfile.mkdtemp(prefix="grid-faults-"))
    workdir.chmod(0o755)  # the cluster's owner (postgres, when run as root) must reach its socket
    logdir = ROOT / "bench" / "out" / run
    logdir.mkdir(parents=True)
    cluster = Cluster(workdir)
    procs: list[Proc] = []
    t0 = time.time()
    try:
        if not args.clone_from:  # the worktree's database (settings must not load before DATABASE_URL is set)
            args.clone_from = (
                os.environ.get("DATABASE_URL")
                or subprocess.run(
                    [str(ROOT / "bin" / "pg-local"), "url"], capture_output=True, text=True, check=True
                ).stdout.strip()
            )
        log(f"run {run}: cluster in {cluster.dir}, logs in {logdir}")
        cluster.start()
        cluster.clone_reference_data(args.clone_from)
        db_url = cluster.url
        setup_seconds = time.time() - t0
        log(f"cluster ready with reference data in {setup_seconds:.1f} s")

        # This process talks to the throwaway database too, without a pool (it survives the restart
        # by opening a fresh connection for each check).
        os.environ.update({"DATABASE_URL": db_url, "DB_POOL": "0", "DJANGO_SETTINGS_MODULE": "config.settings"})
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.db import connection

        payloads = make_payloads(args.tickets, seed=20261122)
        dispatcher_cookie = session_cookie("city_dispatcher")
        wall_cookie = session_cookie("wall_viewer")
        connection.close()

        redis_port = free_port()
        redis_dir = workdir / "redis"
        redis_dir.mkdir()
        redis = Proc(
            "redis",
            [shutil.which("redis-server") or "redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(redis_dir)],
            {}, logdir, port=redis_port,
        )  # fmt: skip
        redis.start()
        procs.append(redis)
        env = {
            "DATABASE_URL": db_url,
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "CHANNELS_PREFIX": run,
            "DEBUG": "0",
            "DB_POOL": "1",
            "DB_POOL_MAX": str(args.clients + 4),
            "MAPS_LIVE_TICK_SECONDS": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        servers = []
        for i in range(args.servers):
            port = free_port()
            p = Proc(
                f"daphne-{i}",
                [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                env,
                logdir,
                port=port,
            )
            servers.append(p)
        for p in servers:
            p.start()
            procs.append(p)
        bases = [f"http://127.0.0.1:{p.port}" for p in servers]
        supervisor = Proc("supervisor", [PYTHON, "manage.py", "supervise", "--interval", "1"], env, logdir)
        supervisor.start()
        procs.append(supervisor)
        if not wait_for_passes(supervisor.log_path, 1, 60):
            raise RuntimeError(f"the supervisor made no pass: {supervisor.log_path.read_text()[-2000:]}")
        watcher = WallWatcher(bases[-1], wall_cookie)
        watcher.start()
        time.sleep(1.0)

        load = Load()
        faults: dict[str, dict] = {}
        flags: dict = {}
        stop_faults = threading.Event()

        def wait_progress(fraction: float) -> bool:
            while load.done < fraction * args.tickets:
                if stop_faults.wait(0.05):
                    return False
            return True

        def inject() -> None:
            try:
                if not wait_progress(0.15):
                    return
                log(f"fault (a): stopping the PostGIS cluster at {load.done} tickets")
                t = time.time()
                cluster.stop()
                stopped = time.time()
                refused = refuses(lambda: sql(db_url, "SELECT 1"))
                time.sleep(args.db_down)
                cluster.start()
                started = time.time()
                faults["postgis"] = {"at_tickets": load.done, "stop_s": stopped - t, "down_s": started - stopped,
                                     "start_s": started, "stopped_at": t, "refused_while_down": refused}  # fmt: skip
                log(f"fault (a): PostGIS back after {started - stopped:.1f} s down")

                if not wait_progress(0.35):
                    return
                log(f"fault (b): SIGKILL to the supervisor at {load.done} tickets")
                killed = time.time()
                supervisor.kill(signal.SIGKILL)
                killed_status = supervisor.proc.returncode
                groups = move_deadlines(
                    db_url, run, per_level=args.flags_per_level, killed_at=killed, down=args.supervisor_down
                )
                flags["groups"] = groups
                time.sleep(max(0.0, killed + args.supervisor_down - time.time()))
                restarted = time.time()
                supervisor.start()
                faults["supervisor"] = {"at_tickets": load.done, "down_s": restarted - killed,
                                        "killed_at": killed, "restarted_at": restarted, "exit_status": killed_status}  # fmt: skip
                log(f"fault (b): supervisor restarted after {restarted - killed:.1f} s dead")

                if not wait_progress(0.6):
                    return
                log(f"fault (c): stopping Redis at {load.done} tickets")
                t = time.time()
                redis.stop()
                refused = refuses(lambda: socket.create_connection(("127.0.0.1", redis_port), timeout=2).close())
                time.sleep(args.redis_down)
                redis.start()
                started = time.time()
                faults["redis"] = {
                    "at_tickets": load.done,
                    "down_s": started - t,
                    "start_s": started,
                    "refused_while_down": refused,
                }
                log(f"fault (c): Redis back after {started - t:.1f} s down")
            except Exception as exc:  # reported with the checks
                faults["error"] = repr(exc)
                log(f"fault injection failed: {exc!r}")

        injector = threading.Thread(target=inject, daemon=True)
        if not args.no_faults:
            injector.start()
        log(f"posting {args.tickets} tickets from {args.clients} clients to {len(bases)} servers")
        started = time.time()
        run_clients(
            bases,
            payloads,
            clients=args.clients,
            run=run,
            cookie=dispatcher_cookie,
            load=load,
            deadline=started + 600 + args.tickets / 5,
        )
        wall = time.time() - started
        stop_faults.set()
        if injector.is_alive():
            injector.join(timeout=120)
        log(f"load done in {wall:.1f} s")

        # Let the supervisor finish a pass that started after the load, then read what it did.
        final_pass_from = time.time()
        supervisor_ok = wait_for_passes(supervisor.log_path, 2, 120)
        # A push after the Redis restart reaches the wall (one more ticket, on the first server).
        probe_key = f"{run}:probe"
        probe_payload = make_payloads(1, seed=1)
        watcher.steady()
        # Then quiet for longer than redis-py's socket read timeout (5 s): a wall that hears nothing
        # must keep its socket (channels-redis' 5 s pop used to time out and kill it: core/channel_layer.py).
        quiet_from = time.time()
        time.sleep(args.quiet)
        reconnects_while_quiet = sum(1 for t in watcher.disconnects if t >= quiet_from)
        seen_before = len(watcher.received)
        probe = Load()
        run_clients(bases[:1], probe_payload, clients=1, run=f"{run}:probe", cookie=dispatcher_cookie, load=probe,
                    deadline=time.time() + 60)  # fmt: skip
        waited_until = time.time() + 10.0
        while len(watcher.received) <= seen_before and time.time() < waited_until:
            time.sleep(0.2)
        probe_pushed = len(watcher.received) > seen_before
        watcher.stopping.set()

        alive = {p.name: p.alive() for p in procs}
        serving = {}
        for b in bases:
            try:
                conn = http.client.HTTPConnection(urlsplit(b).hostname, urlsplit(b).port, timeout=10)
                conn.request("GET", "/api/tickets/?page_size=1", headers={"Cookie": f"sessionid={dispatcher_cookie}"})
                serving[b] = conn.getresponse().status
                conn.close()
            except OSError as exc:
                serving[b] = repr(exc)

        result = check(db_url, run, args, load, faults, flags, final_pass_from)
        result.update(
            run=run,
            setup_s=round(setup_seconds, 1),
            wall_s=round(wall, 1),
            probe={
                "key": probe_key,
                "pushed_to_wall": probe_pushed,
                "quiet_s": args.quiet,
                "wall reconnects while quiet": reconnects_while_quiet,
            },  # fmt: skip
            processes_alive=alive,
            serving=serving,
            supervisor_final_pass=supervisor_ok,
        )
        result["timings"] = timings(load, faults, watcher, wall, args)
        result["checks"].update(
            {
                "servers and supervisor alive after all faults": all(alive.values()),
                "every server answers 200 after all faults": all(v == 200 for v in serving.values()),
                "the supervisor made a full pass after the load": supervisor_ok,
                "a push after the Redis restart reaches a wall on the other server": probe_pushed,
                f"the wall's socket stays up through {args.quiet:g} s without a push": reconnects_while_quiet == 0,
                "no fault injection error": "error" not in faults,
                "all three faults happened (PostGIS and Redis refused connections, the supervisor died of SIGKILL)": (
                    faults.get("postgis", {}).get("refused_while_down") is True
                    and faults.get("redis", {}).get("refused_while_down") is True
                    and faults.get("supervisor", {}).get("exit_status") == -signal.SIGKILL
                ),
            }
        )
        if args.no_faults:  # nothing was injected, so nothing was owed or restarted
            for name in list(result["checks"]):
                if "faults happened" in name or "supervisor was dead" in name or "Redis restart" in name:
                    del result["checks"][name]
        result["ok"] = all(result["checks"].values())
        report(result, args)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
        return 0 if result["ok"] else 1
    finally:
        for p in reversed(procs):
            p.stop()
        if not args.keep:
            cluster.remove()
            shutil.rmtree(workdir, ignore_errors=True)


def check(db_url: str, run: str, args, load: Load, faults: dict, flags: dict, final_pass_from: float) -> dict:
    """What is in the database after the run, against what the clients were told."""
    keys = [f"{run}:{i}" for i in range(args.tickets)]
    pattern = f"%|{run}:%"  # keys are stored per client: "<client>|<key>"
    q = lambda query, params=None: sql(db_url, query, params)  # noqa: E731
    rows = q(
        "SELECT idempotency_key, number, status FROM dispatch_ticket WHERE idempotency_key LIKE %s AND "
        "idempotency_key NOT LIKE %s",
        [pattern, f"%|{run}:probe%"],
    )
    by_key = Counter(r[0].split("|", 1)[1] for r in rows)
    numbers = {r[0].split("|", 1)[1]: r[1] for r in rows}
    statuses = Counter(r[2] for r in rows)
    all_tickets = q("SELECT count(*) FROM dispatch_ticket WHERE idempotency_key NOT LIKE %s", [f"%|{run}:probe%"])[0][0]
    missing = [k for k in keys if k not in by_key]
    dup_keys = [k for k, n in by_key.items() if n > 1]
    told = {k: o.number for k, o in load.outcomes.items()}
    answer_mismatch = [k for k in keys if told.get(k) and told[k] != numbers.get(k)]
    not_answered = [k for k in keys if load.outcomes.get(k) is None or load.outcomes[k].status not in (200, 201)]

    # Routed: status dispatched with exactly one active lead; queued: pending_dispatch with the reason.
    bad_routed = q(
        """SELECT t.number FROM dispatch_ticket t
           WHERE t.idempotency_key LIKE %s AND t.status = 'dispatched'
             AND (SELECT count(*) FROM dispatch_assignment a
                  WHERE a.ticket_id = t.id AND a.is_active AND a.role = 'lead') <> 1""",
        [pattern],
    )
    queued_with_assignments = q(
        """SELECT count(*) FROM dispatch_assignment a JOIN dispatch_ticket t ON t.id = a.ticket_id
           WHERE t.status IN ('pending_dispatch', 'refused')""",
    )[0][0]
    foreign_assignments = q(
        """SELECT count(*) FROM dispatch_assignment a JOIN dispatch_ticket t ON t.id = a.ticket_id
           WHERE t.idempotency_key IS NULL OR t.idempotency_key NOT LIKE %s""",
        [pattern],
    )[0][0]
    intake_events = q(
        """SELECT count(*) FILTER (WHERE n <> 1) FROM (
             SELECT t.id, count(e.id) AS n FROM dispatch_ticket t
             LEFT JOIN dispatch_ticketevent e ON e.ticket_id = t.id
               AND e.action IN ('accept_intake', 'queue_for_dispatch', 'refuse_intake', 'answer_from_knowledge_base')
             WHERE t.idempotency_key LIKE %s GROUP BY t.id) x""",
        [pattern],
    )[0][0]
    queue_reasons = q(
        """SELECT e.note, count(*) FROM dispatch_ticket t JOIN dispatch_ticketevent e ON e.ticket_id = t.id
           WHERE t.idempotency_key LIKE %s AND t.status = 'pending_dispatch' AND e.action = 'queue_for_dispatch'
           GROUP BY e.note ORDER BY 2 DESC""",
        [pattern],
    )
    queued_without_reason = q(
        """SELECT count(*) FROM dispatch_ticket t WHERE t.idempotency_key LIKE %s AND t.status = 'pending_dispatch'
           AND NOT EXISTS (SELECT 1 FROM dispatch_ticketevent e WHERE e.ticket_id = t.id
                           AND e.action = 'queue_for_dispatch' AND e.note <> '')""",
        [pattern],
    )[0][0]

    # Deadline flags owed while the supervisor was dead: each level once, taken after the restart.
    flag_rows = []
    sup = faults.get("supervisor", {})
    restarted_at = sup.get("restarted_at", 0)
    expected_actions = {1: ["remind"], 2: ["remind", "phone_supervision"],
                        3: ["remind", "phone_supervision", "written_supervision"]}  # fmt: skip
    flag_problems = []
    raised_after = []
    for level, ids in (flags.get("groups") or {}).items():
        for tid, sl, actions, first_at in q(
            """SELECT t.id, t.supervision_level,
                      array_agg(e.action ORDER BY e.id) FILTER (WHERE e.action IS NOT NULL),
                      extract(epoch FROM min(e.at))
               FROM dispatch_ticket t LEFT JOIN dispatch_ticketevent e ON e.ticket_id = t.id
                 AND e.action IN ('remind', 'phone_supervision', 'written_supervision')
               WHERE t.id = ANY(%s) GROUP BY t.id""",
            [ids],
        ):
            flag_rows.append((level, tid))
            if sl != level or (actions or []) != expected_actions[level]:
                flag_problems.append(f"ticket {tid}: level {sl}, events {actions}, expected {expected_actions[level]}")
            elif first_at is None or float(first_at) < restarted_at:
                flag_problems.append(f"ticket {tid}: flagged at {first_at}, before the restart at {restarted_at}")
            else:
                raised_after.append(float(first_at) - restarted_at)
    # Nothing of the run still owes a flag as of the moment the load ended (the supervisor passed after it).
    from dispatch.sla import NEAR_DEADLINE_FRACTION
    from dispatch.supervision import _OWED_LEVEL, WRITTEN_AFTER_MAX

    still_owed = q(
        f"""SELECT count(*) FROM dispatch_ticket t WHERE t.idempotency_key LIKE %(pattern)s
              AND t.status IN ('dispatched', 'in_progress', 'return_requested') AND t.resolve_by IS NOT NULL
              AND t.supervision_level < {_OWED_LEVEL}""",
        {"pattern": pattern, "now": dt_from(final_pass_from), "near": NEAR_DEADLINE_FRACTION,
         "written_after": WRITTEN_AFTER_MAX},
    )[0][0]  # fmt: skip
    n_flagged = sum(len(v) for v in (flags.get("groups") or {}).values())

    attempts = sum(o.attempts for o in load.outcomes.values())
    causes = Counter(c for _t, _s, c in load.errors)
    result = {
        "tickets": {
            "posted (distinct keys)": args.tickets,
            "in the database for the run's keys": sum(by_key.values()),
            "in the database (all)": all_tickets,
            "missing keys": len(missing),
            "duplicate keys": len(dup_keys),
            "answered 200/201": args.tickets - len(not_answered),
            "answer names another ticket than the database": len(answer_mismatch),
            "by status": dict(statuses),
            "routed with one active lead": statuses.get("dispatched", 0) - len(bad_routed),
            "manual queue": statuses.get("pending_dispatch", 0),
            "manual queue reasons": {note: n for note, n in queue_reasons},
        },
        "assignments": {
            "routed tickets without exactly one active lead": len(bad_routed),
            "on queued/refused tickets": queued_with_assignments,
            "on tickets not of this run": foreign_assignments,
            "tickets without exactly one intake event": intake_events,
        },
        "requests": {
            "attempts": attempts,
            "retries": attempts - len(load.outcomes),
            "retries by cause": dict(causes.most_common()),
            "replayed (200, Idempotent-Replayed)": sum(o.replayed for o in load.outcomes.values()),
            "created (201)": sum(o.status == 201 for o in load.outcomes.values()),
            "final failures": {k: o.failure for k, o in load.outcomes.items() if o.failure},
        },
        "flags": {
            "tickets whose deadlines fell due while the supervisor was dead": n_flagged,
            "by level": {lvl: len(ids) for lvl, ids in (flags.get("groups") or {}).items()},
            "problems": flag_problems[:20],
            "raised after the restart, seconds (max)": round(max(raised_after), 2) if raised_after else None,
            "run tickets still owing a flag after the final pass": still_owed,
        },
        "faults": faults,
    }
    result["checks"] = {
        f"exactly {args.tickets} tickets for the run's keys": sum(by_key.values()) == args.tickets
        and not missing
        and all_tickets == args.tickets,
        "no duplicate keys": not dup_keys,
        "every request answered 200/201, none refused or given up": not not_answered,
        "every answer names the ticket in the database": not answer_mismatch,
        "each ticket routed (one active lead) or queued with a reason": not bad_routed
        and not queued_without_reason
        and statuses.get("dispatched", 0) + statuses.get("pending_dispatch", 0) == args.tickets,
        "no orphan assignments": queued_with_assignments == 0 and foreign_assignments == 0 and intake_events == 0,
        "every flag owed while the supervisor was dead raised once after its restart": n_flagged > 0
        and not flag_problems
        and len(raised_after) == n_flagged,
        "no run ticket owes a flag after the final pass": still_owed == 0,
        "no 500 answers (a database outage is answered 503 + Retry-After)": causes.get("HTTP 500", 0) == 0,
    }
    return result


def dt_from(epoch: float):
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def timings(load: Load, faults: dict, watcher: WallWatcher, wall: float, args) -> dict:
    lat = [o.latency for o in load.outcomes.values() if o.status in (200, 201)]
    out = {
        "throughput tickets/s (whole run, faults included)": round(args.tickets / wall, 1),
        "latency of the answered attempt p50/p95/p99 ms": [round(percentile(lat, p) * 1000, 1) for p in (50, 95, 99)]
        if lat
        else None,
    }
    # Undisturbed throughput: tickets answered between start and the first fault.
    if "postgis" in faults:
        first = faults["postgis"]["stopped_at"]
        with load.lock:
            t_start = min(o.done_at - o.latency for o in load.outcomes.values())
            before = [o for o in load.outcomes.values() if o.done_at < first]
        if before and first > t_start:
            out["throughput tickets/s before the first fault"] = round(len(before) / (first - t_start), 1)
    pg = faults.get("postgis")
    if pg:
        r = first_success_after(load, pg["start_s"])
        out["PostGIS: stopped for s"] = round(pg["down_s"], 1)
        out["PostGIS: first ticket answered after the restart, s"] = round(r, 2) if r is not None else None
        errs = [c for t, _s, c in load.errors if pg["stopped_at"] <= t <= pg["start_s"] + 30]
        out["PostGIS: failed attempts around the outage"] = dict(Counter(errs))
    sup = faults.get("supervisor")
    if sup:
        out["supervisor: dead for s"] = round(sup["down_s"], 1)
    rd = faults.get("redis")
    if rd:
        after = [t for t in watcher.received if t >= rd["start_s"]]
        out["Redis: stopped for s"] = round(rd["down_s"], 1)
        out["Redis: first push on the wall after the restart, s"] = (
            round(min(after) - rd["start_s"], 2) if after else None
        )
        errs = [c for t, _s, c in load.errors if rd["start_s"] - rd["down_s"] <= t <= rd["start_s"] + 30]
        out["Redis: failed ticket attempts around the outage"] = dict(Counter(errs))
    out["wall socket reconnects"] = len(watcher.disconnects)
    out["wall pushes received"] = len(watcher.received)
    return out


def report(result: dict, args) -> None:
    lines = [
        f"`bench/intake_faults.py --tickets {args.tickets} --clients {args.clients} --servers {args.servers}"
        f"{' --no-faults' if args.no_faults else ''}` "
        f"(run {result['run']}): throwaway PostGIS cluster cloned in {result['setup_s']} s, "
        f"{args.servers} daphne processes + 1 supervisor + a private Redis; all clients retry with the same key.",
        "",
        "| check | |",
        "|---|---|",
        *[f"| {name} | {'PASS' if ok else '**FAIL**'} |" for name, ok in result["checks"].items()],
        "",
    ]
    for section in ("tickets", "assignments", "requests", "flags", "timings"):
        lines.append(f"**{section}**")
        lines.append("")
        for k, v in result[section].items():
            lines.append(f"- {k}: {json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v}")
        lines.append("")
    lines.append(f"Result: {'all checks passed' if result['ok'] else 'SOME CHECKS FAILED'}; wall {result['wall_s']} s.")
    if args.no_record:
        print("\n".join(lines))
    else:
        title = "Intake throughput, no faults" if args.no_faults else "Intake under faults"
        record(f"{title} (bench/intake_faults.py)", lines)


if __name__ == "__main__":
    sys.exit(main())
