from django.core.management.base import BaseCommand

from classify.models import ClassifierVersion
from classify.services import train_classifier


class Command(BaseCommand):
    help = (
        "Train a new version of the ticket classifier from the ticket history and the hand-written corpus "
        "(classify/corpus/training.tsv). Running processes pick it up within CLASSIFIER_RELOAD_SECONDS."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-missing", action="store_true", help="do nothing when a version already exists")
        parser.add_argument("--no-tickets", action="store_true", help="train on the hand-written corpus only")

    def handle(self, *args, if_missing, no_tickets, **opts):
        if if_missing and ClassifierVersion.objects.exists():
            self.stdout.write("train_classifier: a version exists, skipped")
            return
        say = (lambda msg: self.stdout.write(f"train_classifier: {msg}")) if opts["verbosity"] >= 1 else None
        version = train_classifier(use_tickets=not no_tickets, progress=say)
        self.stdout.write(self.style.SUCCESS(f"train_classifier: version {version.version} saved"))
