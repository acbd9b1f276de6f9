"""Settings for Grid 12345.

Everything that differs between machines comes from the environment
(DATABASE_URL, REDIS_URL, SECRET_KEY, ...) with safe local defaults, so that
`make up` on a fresh machine needs no configuration at all.
"""

from .base import *  # noqa: F401,F403
