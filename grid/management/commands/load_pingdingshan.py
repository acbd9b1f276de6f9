import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from grid.models import BoundaryGeneration, Level, Office
from grid.services import (
    BoundaryImportError,
    ensure_user,
    file_checksum,
    import_boundaries,
    read_boundary_file,
    records_from_dataframe,
    upsert_offices,
)

FIXTURES = settings.BASE_DIR / "fixtures" / "pingdingshan"
LEVEL_FILES = [
    (Level.CITY, "city.geojson"),
    (Level.COUNTY, "counties.geojson"),
    (Level.TOWNSHIP, "townships.geojson"),
    (Level.COMMUNITY, "communities.geojson"),
]
DEMO_PASSWORD = "demo12345"


class Command(BaseCommand):
    help = "Load the committed Pingdingshan fixtures: boundaries, offices, demo users (skips what is loaded)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=FIXTURES)
        parser.add_argument("--force", action="store_true", help="re-import boundaries even if unchanged")

    def handle(self, *args, dir: Path, force: bool, **opts):
        progress = opts.get("verbosity", 1) >= 1
        for level, name in tqdm(LEVEL_FILES, desc="boundaries", unit="level", disable=not progress):
            path = dir / name
            checksum = file_checksum(path)
            if not force and BoundaryGeneration.objects.current().filter(level=level, checksum=checksum).exists():
                continue
            try:
                records = records_from_dataframe(
                    read_boundary_file(path),
                    code_field="code",
                    name_field="name",
                    parent_field=None if level == Level.CITY else "parent_code",
                    extra_fields=True,
                )
                import_boundaries(records=records, level=level, source=name, checksum=checksum, progress=progress)
            except BoundaryImportError as exc:
                raise CommandError(f"{path}: {exc}") from exc

        offices = json.loads((dir / "offices.json").read_text(encoding="utf-8"))
        upsert_offices(offices)
        users = json.loads((dir / "users.json").read_text(encoding="utf-8"))
        by_code = {o.code: o for o in Office.objects.filter(code__in={u["office_code"] for u in users})}
        for u in users:
            office = by_code.get(u["office_code"])
            if office is None:
                raise CommandError(f"users.json: {u['username']} names unknown office {u['office_code']}")
            ensure_user(
                username=u["username"],
                office=office,
                role=u["role"],
                display_name=u.get("display_name", ""),
                password=DEMO_PASSWORD,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"grid loaded: {len(offices)} offices, {len(users)} demo users (password {DEMO_PASSWORD})"
            )
        )
