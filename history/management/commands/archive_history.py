"""Detach and archive old months of the tickets' events and the audit log (history/services.py)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from history.services import TABLES, archive_before, ensure_partitions, partitions


class Command(BaseCommand):
    help = "List the monthly partitions, or detach, dump (COPY to gzipped CSV) and drop the months before --before."

    def add_arguments(self, parser):
        parser.add_argument("--before", help="YYYY-MM: archive every month before this one")
        parser.add_argument("--dir", default="archive", help="where the dumps go (default: ./archive)")
        parser.add_argument("--keep", action="store_true", help="detach and dump, but keep the table")

    def handle(self, *args, before=None, dir="archive", keep=False, **options):
        ensure_partitions()
        if not before:
            for table in TABLES:
                for p in partitions(table):
                    self.stdout.write(f"{p.name}\t~{p.rows:,} rows")
            return
        m = re.fullmatch(r"(\d{4})-(\d{2})", before)
        if not m or not 1 <= int(m[2]) <= 12:
            raise CommandError("--before is a month: YYYY-MM.")
        month = dt.date(int(m[1]), int(m[2]), 1)
        done = archive_before(month, Path(dir), keep=keep)
        for name, path, rows in done:
            self.stdout.write(f"archived {name}: {rows:,} rows → {path}")
        if not done:
            self.stdout.write("nothing before " + before)
