"""The PostGIS backend, with a connection pool that recovers at once after a PostgreSQL restart.

Django builds the psycopg pool itself (DATABASES OPTIONS "pool") and gives it
ConnectionPool.check_connection when CONN_HEALTH_CHECKS is on; this backend swaps in
core.dbpool.check_connection, which on the first dead connection checks the whole pool.
"""

from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper as PostGISDatabaseWrapper

from core.dbpool import install_check


class DatabaseWrapper(PostGISDatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool
        if pool is not None:
            install_check(pool)
        return pool
