"""The simulated PBX's script: ring an extension by posting CTI events to /api/cti/events, as a real
PBX would (ringing, answered, then hangup and a recording after --talk seconds unless --no-hangup)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


def post_event(url: str, token: str, body: dict) -> dict:
    req = urllib.request.Request(
        url.rstrip("/") + "/api/cti/events",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise CommandError(f"{body['event']}: HTTP {exc.code} {exc.read()[:300].decode('utf-8', 'replace')}") from exc


class Command(BaseCommand):
    help = "Ring a console seat through the CTI endpoint (the demo's and the tests' simulated PBX)."

    def add_arguments(self, parser):
        parser.add_argument("--extension", required=True)
        parser.add_argument("--caller", default="13812341234")
        parser.add_argument("--callee", default="12345")
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--token", default="", help="Defaults to the demo token (settings.CTI_DEMO_TOKEN)")
        parser.add_argument("--answer-after", type=float, default=1.0, help="Seconds of ringing (negative: never)")
        parser.add_argument("--talk", type=float, default=0.0, help="Seconds in the call before hang-up")
        parser.add_argument("--no-hangup", action="store_true")
        parser.add_argument("--call-id", default="", help="Defaults to a new sim-… id")

    def handle(self, *args, **o):
        token = o["token"] or settings.CTI_DEMO_TOKEN
        call_id = o["call_id"] or f"sim-{uuid.uuid4().hex[:16]}"
        base = {"call_id": call_id, "caller": o["caller"], "callee": o["callee"], "extension": o["extension"]}

        def send(event: str, **extra):
            answer = post_event(o["url"], token, {**base, "event": event, "at": timezone.now().isoformat(), **extra})
            self.stdout.write(f"{event}: {answer}")

        send("ringing")
        if o["answer_after"] < 0:
            return
        time.sleep(o["answer_after"])
        send("answered")
        if o["no_hangup"]:
            return
        time.sleep(o["talk"])
        send("hangup")
        send("recording", recording_url=f"https://pbx.example.invalid/recordings/{call_id}.wav")
