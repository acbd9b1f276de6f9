"""manage.py export_audit --from 2026-11-01 --to 2026-11-30 [--action ticket.] [--user U] [--office C]
[--ticket N] [--output FILE]: the audit log of a period as CSV (the same columns as the admin's export)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from audit.forms import ExportForm
from audit.models import Action
from audit.selectors import csv_lines, entries
from audit.services import record


class Command(BaseCommand):
    help = "Write the audit log of a period (both days included, site time) as CSV to stdout or a file."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--action", default="", help="an action (auth.login) or a family (ticket.)")
        parser.add_argument("--user", dest="username", default="")
        parser.add_argument("--office", default="", help="office code")
        parser.add_argument("--ticket", default="", help="ticket number")
        parser.add_argument("--output", "-o", default="", help="file to write (default: stdout)")

    def handle(self, *args, **opts):
        form = ExportForm({k: opts[k] for k in ("start", "end", "action", "username", "office", "ticket")})
        if not form.is_valid():
            names = {"start": "--from", "end": "--to", "username": "--user"}
            raise CommandError("; ".join(f"{names.get(k, '--' + k)}: {' '.join(v)}" for k, v in form.errors.items()))
        filters = form.cleaned_data
        qs = entries(**filters)
        count = 0
        out = open(opts["output"], "w", encoding="utf-8", newline="") if opts["output"] else sys.stdout
        try:
            for text in csv_lines(qs):
                out.write(text)
                count += text.count("\n")
        finally:
            if out is not sys.stdout:
                out.close()
        record(
            action=Action.AUDIT_EXPORTED,
            username="manage.py export_audit",
            details={**{k: str(v) for k, v in filters.items() if v}, "output": opts["output"] or "stdout"},
        )
        if opts["output"]:
            self.stderr.write(f"{count - 1} audit rows written to {opts['output']}")
