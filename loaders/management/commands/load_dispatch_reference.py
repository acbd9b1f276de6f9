from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from loaders.reference import REFERENCE_DIR, ReferenceError, load_reference


class Command(BaseCommand):
    help = "Load the committed ticket reference data: categories, SLA policies, refusal rules, knowledge base."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=REFERENCE_DIR)
        parser.add_argument(
            "--reset", action="store_true", help="overwrite rows edited in admin with the file's values"
        )

    def handle(self, *args, dir: Path, reset: bool, **opts):
        try:
            report = load_reference(directory=dir, reset=reset)
        except (ReferenceError, OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"dispatch reference data: {report}"))
