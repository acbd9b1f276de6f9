"""Photos taken in the street: stored as the ticket's attachments, each with its checked image data."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.photos import CleanPhoto
from dispatch import services as dispatch_services
from dispatch.exceptions import NotPermitted
from dispatch.fieldwork import workflow
from dispatch.fieldwork.models import Delegation, Photo
from dispatch.fieldwork.services.common import _office_id
from dispatch.models import Attachment, Ticket
from dispatch.services.common import lock_ticket
from grid.models import User


def may_add_photos(ticket: Ticket, user) -> bool:
    """The offices working on a ticket, the community it is delegated to, and whoever reported it."""
    if not _office_id(user):
        return False
    if ticket.created_by_id and ticket.created_by_id == user.pk:
        return True
    if ticket.assignments.filter(is_active=True, office_id=user.office_id).exists():
        return True
    return Delegation.objects.filter(ticket=ticket, is_active=True, office_id=user.office_id).exists()


@transaction.atomic
def add_photos(*, ticket: Ticket, by: User, photos: list[CleanPhoto], context: str = "evidence") -> list[Attachment]:
    """Store checked photos (dispatch attachments, each with its Photo data) and write one event."""
    ticket = lock_ticket(ticket)
    if not may_add_photos(ticket, by):
        raise NotPermitted(_("Only the offices working on this ticket add photos to it."), code="not_working_on_it")
    workflow.check(ticket, "attach_photos")
    attachments = []
    for photo in photos:
        attachment = dispatch_services.add_photo(ticket=ticket, by=by, photo=photo)
        Photo.objects.create(
            attachment=attachment,
            width=photo.width,
            height=photo.height,
            thumbnail=ContentFile(photo.thumb, name=photo.stored_name.rsplit(".", 1)[0] + ".jpg"),
            original_format=photo.original_format,
            original_size=photo.original_size,
            sha256=photo.sha256,
            taken_at=photo.taken_at,
            exif_point=Point(*photo.exif_lonlat, srid=4326) if photo.exif_lonlat else None,
            device=photo.device,
            context=context,
        )
        attachments.append(attachment)
    if attachments:
        workflow.fire(
            ticket,
            "attach_photos",
            by=by,
            note="、".join(a.name for a in attachments)[:300],
            data={"attachments": [a.pk for a in attachments], "context": context},
        )
    return attachments
