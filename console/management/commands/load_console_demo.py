from django.core.management.base import BaseCommand

from console.demo import ensure_demo_console


class Command(BaseCommand):
    help = "Seats, shifts and a leader's day for the demo call-takers, unit numbers, and the demo PBX token."

    def add_arguments(self, parser):
        parser.add_argument("--print-token", action="store_true", help="Print only the demo PBX token")

    def handle(self, *args, print_token=False, **options):
        made = ensure_demo_console()
        if print_token:
            self.stdout.write(made["token"] or "(demo tokens are refused by these settings)")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"console: {made['seats']} seats, {made['unit_numbers']} unit numbers set; "
                f"demo PBX token: {made['token'] or '(refused by these settings)'}"
            )
        )
