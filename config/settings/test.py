"""Settings for the test suite: the same as base, without the connection pool
(pytest-django drops the test database at the end, which an idle pooled
connection would hold open)."""

import os

from .base import *  # noqa: F401,F403
from .base import DATABASES

DATABASES["default"]["OPTIONS"].pop("pool", None)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests

# A run beside the suite in the same cluster (bench/api_fuzz.py) names its own test database.
if os.environ.get("TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DB_NAME"]}
