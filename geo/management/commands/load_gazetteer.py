from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from geo.services import GazetteerFiles, GazetteerLoadError, load_gazetteer

FIXTURES = settings.BASE_DIR / "fixtures" / "pingdingshan"


class Command(BaseCommand):
    help = "Load the gazetteer (roads, house-number ranges, places) from GeoJSON files (skips what is loaded)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=FIXTURES, help="folder with roads/addresses/places.geojson")
        parser.add_argument("--force", action="store_true", help="reload even if the files are unchanged")

    def handle(self, *args, dir: Path, force: bool, **opts):
        try:
            summary = load_gazetteer(
                files=GazetteerFiles.in_folder(dir), force=force, progress=opts.get("verbosity", 1) >= 1
            )
        except GazetteerLoadError as exc:
            raise CommandError(str(exc)) from exc
        verb = "already loaded" if summary.skipped else "loaded"
        self.stdout.write(
            self.style.SUCCESS(
                f"gazetteer {verb}: {summary.roads} roads, {summary.intersections} crossings, "
                f"{summary.address_ranges} house-number ranges, {summary.places} places"
            )
        )
