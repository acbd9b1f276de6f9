"""Committed ticket data of every kind that hangs off a ticket, for the fault bench's clone to skip:
a photo on the ticket (dispatch_attachment), a delegation to a community (fieldwork_delegation) whose
grid worker sends a draft reply with a field photo (fieldwork_communityreply, fieldwork_photo), and a
flare (dispatch_spikealert, no ticket of its own). Committed, because pg_dump reads from its own
session; removed again afterwards (the session's test database is shared by every test)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.dispatch.fieldwork.images import image_bytes, phone_photo
from tests.helpers import CHANGQING, XIATANG, make_ticket
from tests.servers import run_committed

DRAFT = {
    "facts": "经现场核实，长青路12号门前占道经营摊点3处，影响行人通行。",
    "result": "已劝离摊贩并清理路面，社区安排网格员每日巡查，防止反弹。",
    "basis": "《平顶山市市容和环境卫生管理条例》",
    "signer": "陈静",
    "handler_name": "王芳",
}


def make_ticket_world() -> dict:
    """Make the rows (in the current transaction or autocommit); their ids by kind."""
    from alerts.models import SpikeAlert
    from core.photos import clean_photo
    from dispatch.fieldwork import services as field
    from dispatch.models import Category
    from dispatch.services import add_attachment
    from grid.models import User

    users = {u.username: u for u in User.objects.filter(username__in=["guangminglu_handler", "changqing_grid"])}
    ticket = make_ticket(code=CHANGQING, category="0103", description="长青路12号门前有人占道经营卖水果")
    photo = add_attachment(
        ticket=ticket,
        by=users["guangminglu_handler"],
        upload=SimpleUploadedFile("stall.jpg", image_bytes("JPEG"), content_type="image/jpeg"),
    )
    delegation = field.delegate(ticket=ticket, by=users["guangminglu_handler"], office=f"WS-{CHANGQING}")
    result = field.reply_from_field(
        ticket=ticket, by=users["changqing_grid"], fields=DRAFT, photos=[clean_photo(phone_photo())]
    )
    assert result.is_draft
    now = timezone.now()
    flare = SpikeAlert.objects.create(
        category=Category.objects.get(code="0101"),
        township_code=XIATANG,
        county_code=XIATANG[:6],
        day=timezone.localdate() - dt.timedelta(days=3),  # not a day the fault run's supervisor counts
        count=9,
        first_count=9,
        baseline_mean=0.5,
        baseline_sd=0.5,
        detected_at=now,
        report_due=now + dt.timedelta(hours=2),
    )
    return {
        "ticket": ticket.id,
        "attachment": photo.id,
        "delegation": delegation.id,
        "draft": result.draft.id,
        "field_photos": list(ticket.attachments.filter(photo__isnull=False).values_list("id", flat=True)),
        "flare": flare.id,
    }


def remove_ticket_world(made: dict) -> None:
    from alerts.models import SpikeAlert
    from dispatch.models import Ticket

    SpikeAlert.objects.filter(id=made.get("flare")).delete()
    Ticket.objects.filter(id=made.get("ticket")).delete()  # attachments, photos, delegation, draft cascade


@contextmanager
def tickets_with_photos_delegations_drafts_and_flares(django_db_blocker, media_root):
    """Yield what was made (ids by kind), committed; remove it on the way out."""
    from django.conf import settings

    made: dict = {}
    old_media = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = str(media_root)
    try:
        run_committed(lambda: made.update(make_ticket_world()), django_db_blocker)
        yield made
    finally:
        run_committed(lambda: remove_ticket_world(made), django_db_blocker)
        settings.MEDIA_ROOT = old_media
