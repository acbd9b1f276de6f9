"""Files on a ticket: documents and cleaned photos."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.photos import CleanPhoto
from dispatch import policy
from dispatch.exceptions import NotPermitted
from dispatch.models import (
    Attachment,
    Ticket,
)
from dispatch.services.common import lock_ticket

if TYPE_CHECKING:
    from grid.models import User


@transaction.atomic
def add_attachment(*, ticket: Ticket, by: User, upload) -> Attachment:
    """A file for a ticket, stored as given: callers pass what they have checked (see add_photo);
    not by a view-only role."""
    if not policy.may_attach(by):
        raise NotPermitted(_("Your role may only view tickets."), code="view_only")
    ticket = lock_ticket(ticket)
    return Attachment.objects.create(
        ticket=ticket,
        file=upload,
        name=upload.name[:200],
        content_type=getattr(upload, "content_type", "")[:60],
        size=upload.size,
        uploaded_by=by,
    )


@transaction.atomic
def add_photo(*, ticket: Ticket, by: User, photo: CleanPhoto) -> Attachment:
    """A photo checked and re-encoded by core.photos.clean_photo (no EXIF, no trailing bytes),
    stored under a random name and shown under the name the user gave it."""
    upload = ContentFile(photo.data, name=photo.stored_name)
    upload.content_type = photo.content_type
    attachment = add_attachment(ticket=ticket, by=by, upload=upload)
    attachment.name = photo.name
    attachment.save(update_fields=["name"])
    return attachment
