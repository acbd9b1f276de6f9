import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from loaders.demo import DEFAULT_COUNT, DEFAULT_DAYS, DEFAULT_SEED, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo ticket history: COUNT tickets over the last DAYS days, deterministic from SEED (and --end), "
        "in every state. Skipped when already loaded; --force rebuilds it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
        parser.add_argument("--end", help="end of the history, ISO date-time (default: the start of this hour)")
        parser.add_argument("--force", action="store_true")

    def handle(self, *args, count, seed, days, end, force, **opts):
        if count < 1 or days < 1:
            raise CommandError("--count and --days must be positive")
        end_at = None
        if end:
            try:
                end_at = dt.datetime.fromisoformat(end)
            except ValueError as exc:
                raise CommandError(f"--end: {exc}") from exc
            if timezone.is_naive(end_at):
                end_at = timezone.make_aware(end_at)
            if end_at > timezone.now():
                raise CommandError("--end cannot be in the future")
        report = load_demo(
            count=count, seed=seed, days=days, end=end_at, force=force, progress=opts.get("verbosity", 1) >= 1
        )
        self.stdout.write(self.style.SUCCESS(f"load_demo_tickets: {report}"))
