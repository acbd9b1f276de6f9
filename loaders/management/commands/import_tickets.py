from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dispatch.models import Channel
from loaders.importer import ImportFileError, file_checksum, import_rows, read_table, write_rejects


class Command(BaseCommand):
    help = (
        "Import tickets from a CSV (UTF-8 or GBK) or Excel file, with a progress bar. Columns (English or Chinese "
        "headers): channel, kind, nature, urgency, category, description, address, lon, lat, caller_name, "
        "caller_phone, caller_email, external_id, received_at. Safe to run again: rows already imported are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--channel", default="phone", choices=[c.value for c in Channel], help="for rows without one"
        )
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument(
            "--rejects", type=Path, help="where to write rows that could not be read (default FILE.rejects.csv)"
        )

    def handle(self, *args, file: Path, channel: str, batch: int, rejects: Path | None, **opts):
        if not file.exists():
            raise CommandError(f"{file}: no such file")
        progress = opts.get("verbosity", 1) >= 1
        try:
            total = sum(1 for _ in read_table(file)) if progress else None
            report = import_rows(
                read_table(file),
                source_key=file_checksum(file),
                default_channel=channel,
                batch_size=max(1, batch),
                progress=progress,
                total=total,
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        if report.rejects:
            path = rejects or file.with_suffix(file.suffix + ".rejects.csv")
            write_rejects(report, path)
            self.stderr.write(f"{report.rejected} rows could not be read; see {path}")
        self.stdout.write(self.style.SUCCESS(f"import_tickets: {report}"))
