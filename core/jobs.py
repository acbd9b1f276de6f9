"""The one scheduler's list of periodic jobs.

Every periodic job that computes or flags something (deadline flags and escalation, spike
alerts, the hotspot register, the wall's overdue notices, the stored assessment) registers here
from its app's AppConfig.ready(), and the `manage.py supervise` loop runs them all, in order, on
every pass. A web process runs none of them: it only pushes to its sockets what the jobs and
the writers recorded (maps.consumers). core knows no app: the apps register themselves.

Each job is safe to run in several supervisors at once (row locks, SKIP LOCKED, unique
constraints, advisory locks: see each job's docstring).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[..., object]  # run(now=, batch=) → a printable report of what the pass did
    order: int
    help: str = ""


_jobs: dict[str, Job] = {}


def register(name: str, run: Callable[..., object], *, order: int, help: str = "") -> None:
    """Add a job to every supervisor pass (registering a name again replaces it)."""
    _jobs[name] = Job(name, run, order, help)


def jobs() -> list[Job]:
    """The registered jobs in the order a pass runs them."""
    return sorted(_jobs.values(), key=lambda j: (j.order, j.name))


def run_jobs(
    *, now: dt.datetime | None = None, batch: int = 500, skip: frozenset[str] | set[str] = frozenset()
) -> dict[str, object]:
    """One supervisor pass: every registered job but the skipped ones, each with the same `now`.
    Returns each job's report by name."""
    now = now or timezone.now()
    unknown = set(skip) - set(_jobs)
    if unknown:
        raise ValueError(f"no such job: {', '.join(sorted(unknown))} (jobs: {', '.join(_jobs)})")
    return {job.name: job.run(now=now, batch=batch) for job in jobs() if job.name not in skip}
