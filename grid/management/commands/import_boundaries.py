from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grid.models import LEVEL_ORDER
from grid.services import (
    BoundaryImportError,
    file_checksum,
    import_boundaries,
    read_boundary_file,
    records_from_dataframe,
)


class Command(BaseCommand):
    help = (
        "Import one level of boundaries from GeoJSON, Shapefile or GeoPackage as a new generation "
        "(one transaction: a bad row aborts with nothing imported)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--level", required=True, choices=LEVEL_ORDER)
        parser.add_argument("--code-field", required=True)
        parser.add_argument("--name-field", required=True)
        parser.add_argument("--parent-field", help="field holding the parent's code (else found by containment)")
        parser.add_argument("--layer", help="layer name in a GeoPackage")
        parser.add_argument(
            "--extra-fields",
            action="store_true",
            help="also read short_name, aliases, is_zone, is_central, urban, synthetic_geometry",
        )
        parser.add_argument("--note", default="")

    def handle(self, *args, file, level, code_field, name_field, parent_field, layer, extra_fields, note, **opts):
        progress = opts.get("verbosity", 1) >= 1
        try:
            gdf = read_boundary_file(file, layer=layer)
            records = records_from_dataframe(
                gdf,
                code_field=code_field,
                name_field=name_field,
                parent_field=parent_field,
                extra_fields=extra_fields,
                progress=progress,
            )
            generation = import_boundaries(
                records=records,
                level=level,
                source=file.name,
                checksum=file_checksum(file),
                note=note,
                progress=progress,
            )
        except BoundaryImportError as exc:
            raise CommandError(f"{file}: {exc} — nothing was imported") from exc
        self.stdout.write(
            self.style.SUCCESS(f"imported {len(records)} {level} areas from {file.name} as generation #{generation.pk}")
        )
