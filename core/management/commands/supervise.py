import signal
import time

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, close_old_connections

from core.jobs import jobs, run_jobs


class Command(BaseCommand):
    help = (
        "The one scheduler: runs every periodic job the apps registered (core.jobs), in order, every --interval "
        "seconds: the supervisor [SV-1][SV-2][CB-1] (deadline flags, escalation reminder → phone → written, repeat "
        "complaints, overdue callbacks), spike alerts [AN-1], the hotspot register and the wall's overdue notices, "
        "the stored monthly assessment [AR-1]. Web processes only push what these record. Safe to run several at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run one pass and exit")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between passes (default 60)")
        parser.add_argument(
            "--batch",
            type=int,
            default=500,
            help="tickets locked per transaction (default 500); smaller batches let several supervisors share a pass",
        )
        parser.add_argument(
            "--skip", action="append", default=[], metavar="JOB", help="leave this job out (repeatable); see --list"
        )
        parser.add_argument("--no-assessment", action="store_true", help="the same as --skip assessment")
        parser.add_argument("--list", action="store_true", help="list the jobs a pass runs, and exit")

    def handle(self, *args, once: bool, interval: float, batch: int, skip: list, no_assessment: bool, **opts):
        if opts.get("list"):
            for job in jobs():
                self.stdout.write(f"{job.name}: {job.help}")
            return
        skipped = set(skip) | ({"assessment"} if no_assessment else set())
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        if not once:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        while not stopping:
            started = time.monotonic()
            try:
                reports = run_jobs(batch=batch, skip=skipped)
            except (OperationalError, InterfaceError) as exc:
                if once:
                    raise
                self.stderr.write(f"supervise: database unavailable ({exc}); retrying in {interval:.0f} s")
            else:
                if opts.get("verbosity", 1) >= 1:
                    summary = "; ".join(f"{name}: {report}" for name, report in reports.items())
                    self.stdout.write(f"supervise: {summary} ({time.monotonic() - started:.2f} s)")
            if once:
                return
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(1.0, interval))
            close_old_connections()  # a database restart between passes must not end the loop
