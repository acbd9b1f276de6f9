"""Lift log-in locks: `manage.py unlock_login changqing_head` (every address), `--address 203.0.113.7`."""

from django.core.management.base import BaseCommand, CommandError

from audit.lockout import unlock


class Command(BaseCommand):
    help = "Lift the log-in lock-out of a user name (from every address) and/or of an address; audited."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="")
        parser.add_argument("--address", default="", help="also lift the lock on this address (any user name)")

    def handle(self, *args, username: str, address: str, **options):
        if not (username or address):
            raise CommandError("name a user, an --address, or both")
        lifted = unlock(username=username, address=address)
        self.stdout.write(f"unlock_login: {lifted} failure records cleared")
