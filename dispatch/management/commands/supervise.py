import signal
import time

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, close_old_connections

from assessment.store import refresh_assessment
from dispatch.supervision import supervise_once


class Command(BaseCommand):
    help = (
        "The supervisor [SV-1][SV-2][CB-1][AN-1]: flags near-deadline and overdue tickets, escalates reminder → "
        "phone → written supervision, links repeat complaints, raises spike alerts, then refreshes the stored "
        "monthly assessment [AR-1] for the months new ticket events touched. Loops every --interval seconds; "
        "safe to run several at once."
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
        parser.add_argument("--no-assessment", action="store_true", help="do not refresh the stored monthly assessment")

    def handle(self, *args, once: bool, interval: float, batch: int, no_assessment: bool = False, **opts):
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
                report = supervise_once(batch=batch)
                if not no_assessment:
                    report = f"{report}; {refresh_assessment()}"
            except (OperationalError, InterfaceError) as exc:
                if once:
                    raise
                self.stderr.write(f"supervise: database unavailable ({exc}); retrying in {interval:.0f} s")
            else:
                if opts.get("verbosity", 1) >= 1:
                    self.stdout.write(f"supervise: {report} ({time.monotonic() - started:.2f} s)")
            if once:
                return
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(1.0, interval))
            close_old_connections()  # a database restart between passes must not end the loop
