"""Read replica routing: map, briefing, assessment-page and export reads on a hot standby.

Registered by settings only when REPLICA_DATABASE_URL is set (DATABASES["replica"]; a PostgreSQL
streaming replica, bin/pg-replica). Nothing is routed by model: a request opts in, and only these:

- ReplicaReadsMiddleware opens `use_replica()` for GET/HEAD requests under REPLICA_READ_PREFIXES
  (the maps, briefings and assessment pages with their exports);
- code elsewhere may wrap a read in `with use_replica():` explicitly.

Inside such a scope the router sends ORM reads to the replica unless one of these holds, in
which case they go to the primary ("default"):
- the read is inside a transaction (`atomic` block) on the primary: a workflow step reads what it
  is about to write, and must see the primary's rows under its locks;
- this request has already written (any `db_for_write`): it reads its own writes;
- the replica is behind by more than REPLICA_MAX_LAG_SECONDS (default 5), not streaming, promoted,
  or unreachable: checked with pg_last_wal_receive_lsn()/pg_last_wal_replay_lsn()/
  pg_last_xact_replay_timestamp() at most once per REPLICA_CHECK_SECONDS (default 1) per process,
  by one thread while the others keep the last verdict (once per REPLICA_DOWN_RECHECK_SECONDS,
  default 5, while it is unreachable);
- the request asks for the primary: header `X-Read-Primary: 1` (the wall's refetch right after a
  push, maps/static/maps/live.js: the ticket it was told about must be on the screen), or the
  browser wrote within the last REPLICA_MAX_LAG_SECONDS + 1 s (cookie `grid_read_primary_until`,
  set on every non-GET answer: a user who has just acted sees the act on the next page).

The choice is made once per request (at its first routed read), so one page never mixes rows of
two moments. When the replica fails in the middle of a request (stopped, restarted), the view is
run once more on the primary: a GET is safe to repeat, and the client gets its page, never a 500.
The answer says where its reads came from: header `X-Read-From: replica|primary`.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections

from core.middleware import caused_by_database_outage

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"
PRIMARY_COOKIE = "grid_read_primary_until"
DEFAULT_PREFIXES = ("/maps/", "/api/maps/", "/briefings/", "/assessment/")

LAG_SQL = """
SELECT pg_is_in_recovery(),
       (SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END
"""


@dataclass
class _Scope:
    target: str | None = None  # decided at the first routed read
    wrote: bool = False
    forced_primary: bool = False


_scope: ContextVar[_Scope | None] = ContextVar("replica_scope", default=None)


@contextmanager
def use_replica(*, primary: bool = False):
    """Reads inside may be served by the replica (see the module's rules); `primary=True` opens the
    scope but keeps it on the primary (a request that must read its own writes)."""
    scope = _Scope(forced_primary=primary)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def max_lag() -> float:
    return float(getattr(settings, "REPLICA_MAX_LAG_SECONDS", 5))


class _Health:
    """The replica's state as last checked by this process: fresh enough or not, and its lag."""

    def __init__(self):
        self.lock = threading.Lock()
        self.checked_at = 0.0
        self.usable = False
        self.lag: float | None = None
        self.reason = "not checked"
        self.checking = False

    def mark_down(self, reason: str) -> None:
        with self.lock:
            self.checked_at, self.usable, self.lag, self.reason = time.monotonic(), False, None, reason

    def usable_now(self) -> bool:
        every = float(getattr(settings, "REPLICA_CHECK_SECONDS", 1))
        if not self.usable and self.reason.startswith(("unreachable", "failed")):  # down: re-check less often
            every = max(every, float(getattr(settings, "REPLICA_DOWN_RECHECK_SECONDS", 5)))
        with self.lock:
            if time.monotonic() - self.checked_at < every or self.checking:
                return self.usable  # fresh, or another thread is checking: its last verdict
            self.checking = True
        try:
            usable, lag, reason = self._check()
        finally:
            with self.lock:
                self.checking = False
        with self.lock:
            self.checked_at, self.usable, self.lag, self.reason = time.monotonic(), usable, lag, reason
        if not usable:
            logger.info("replica not used: %s", reason)
        return usable

    def _check(self) -> tuple[bool, float | None, str]:
        conn = connections[REPLICA]
        try:
            with conn.cursor() as cur:
                cur.execute(LAG_SQL)
                in_recovery, streaming, lag = cur.fetchone()
        except DatabaseError as exc:
            try:
                conn.close()
            except DatabaseError:
                pass
            return False, None, f"unreachable ({exc.__class__.__name__})"
        lag = float(lag) if lag is not None else None
        if not in_recovery:
            return False, lag, "not in recovery (promoted?)"
        if not streaming:
            return False, lag, "not streaming from the primary"
        if lag is None or lag > max_lag():
            return False, lag, f"replay lag {lag} s over the bound {max_lag()} s"
        return True, lag, "ok"


health = _Health()


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        scope = _scope.get()
        if scope is None:
            return PRIMARY
        if scope.wrote or scope.forced_primary or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        if scope.target is None:
            scope.target = REPLICA if health.usable_now() else PRIMARY
        return scope.target

    def db_for_write(self, model, **hints):
        scope = _scope.get()
        if scope is not None:
            scope.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows, one of two copies

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # a standby is read-only: it gets the schema by replication


class ReplicaReadsMiddleware:
    """Opens `use_replica()` for the GET/HEAD requests of the read-heavy pages (module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(getattr(settings, "REPLICA_READ_PREFIXES", DEFAULT_PREFIXES))

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            response = self.get_response(request)
            window = max_lag() + 1
            response.set_cookie(
                PRIMARY_COOKIE, f"{time.time() + window:.3f}", max_age=int(window) + 1, httponly=True, samesite="Lax"
            )
            return response
        if not request.path.startswith(self.prefixes):
            return self.get_response(request)
        primary = request.headers.get("X-Read-Primary") == "1" or _recently_wrote(request)
        # The session and the user are read before the scope opens: a login that has just been
        # written to the primary must not look absent on the replica.
        getattr(request, "user", None) and request.user.is_authenticated  # noqa: B018
        with use_replica(primary=primary) as scope:
            request._replica_scope = scope
            response = self.get_response(request)
        response["X-Read-From"] = "replica" if scope.target == REPLICA and not scope.wrote else "primary"
        return response

    def process_exception(self, request, exception):
        scope = getattr(request, "_replica_scope", None)
        if scope is None or scope.target != REPLICA or not caused_by_database_outage(exception):
            return None
        health.mark_down(f"failed during a request ({exception.__class__.__name__})")
        try:
            connections[REPLICA].close()
        except DatabaseError:
            pass
        logger.warning("replica failed during %s; answering from the primary", request.path)
        scope.target = PRIMARY
        match = request.resolver_match
        return match.func(request, *match.args, **match.kwargs)


def _recently_wrote(request) -> bool:
    try:
        return float(request.COOKIES.get(PRIMARY_COOKIE, "0")) > time.time()
    except ValueError:
        return False


def read_connection():
    """The connection for a raw, read-only query: the one the router picks for an ORM read here
    (the replica inside a `use_replica()` scope when it is fresh, else the primary)."""
    from django.db import router

    return connections[router.db_for_read(None)]
