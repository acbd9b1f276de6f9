from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from dispatch.workflow import render_markdown

DOC = Path(settings.BASE_DIR) / "docs" / "workflow.md"


class Command(BaseCommand):
    help = "Write docs/workflow.md from the state machine's transition table (dispatch/workflow.py)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="exit 1 if the file is not up to date")

    def handle(self, *args, check: bool, **opts):
        text = render_markdown()
        if check:
            if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
                self.stderr.write("docs/workflow.md is out of date: run manage.py render_workflow")
                raise SystemExit(1)
            return
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {DOC.relative_to(settings.BASE_DIR)}")
