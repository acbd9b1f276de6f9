"""The few tables shared by every app: the rate-limit counters (core.ratelimit)."""

from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """Requests of one client in one window (core.ratelimit's PostgreSQL store, shared by all processes)."""

    bucket = models.CharField(max_length=100)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "dispatch_ratecounter"
        constraints = [models.UniqueConstraint(fields=["bucket", "window_start"], name="ratecounter_bucket_window")]


# ---------------------------------------------------------------------------
