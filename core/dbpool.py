"""The connection pool's health check (settings: DATABASES OPTIONS pool.check).

psycopg_pool's own check tests the one connection a request is about to get; when it is
dead the request backs off (1 s, 2 s, 4 s …) and tries the next idle one. After a
PostgreSQL restart every idle connection is dead, so a quiet server's first request
walked through them one back-off at a time and gave up after the pool timeout (a 503
for a database that was up again). Here the first dead connection found has the whole
pool checked at once: the dead ones are dropped and replaced in the background, and the
request gets a fresh connection after one back-off.
"""

from __future__ import annotations

import logging

from psycopg_pool import ConnectionPool

logger = logging.getLogger(__name__)


def check_connection(conn) -> None:
    """A pool `check`: ConnectionPool.check_connection, and on failure ConnectionPool.check() of the pool."""
    try:
        ConnectionPool.check_connection(conn)
    except Exception:
        pool = getattr(conn, "_pool", None)  # set by the pool on the connection it is handing out
        if isinstance(pool, ConnectionPool):
            logger.warning("a pooled database connection was dead: checking the whole pool")
            pool.check()
        raise


def install_check(pool: ConnectionPool) -> None:
    """Make check_connection the pool's check (Django passes only ConnectionPool.check_connection)."""
    if getattr(pool, "_check", None) is not check_connection:
        if not hasattr(pool, "_check"):  # psycopg_pool changed: tests/reliability/test_db_outage.py will say so
            logger.warning("cannot install the pool check on %r", pool)
            return
        pool._check = check_connection
