"""Ticket files over HTTP, only to those who may see the ticket, with headers that keep them inert."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from core.photos import SERVED_TYPES
from dispatch.exceptions import TicketNotFound

from . import selectors


def safe_file_headers(response: HttpResponse, *, name: str, content_type: str) -> HttpResponse:
    """An image is shown inline, anything else downloaded; nothing is ever sniffed or run as a page."""
    inline = content_type in SERVED_TYPES
    response["Content-Type"] = content_type if inline else "application/octet-stream"
    response["Content-Disposition"] = f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, max-age=86400"  # stored names are random and never reused
    return response


class AttachmentFileView(APIView):
    """A ticket's file or a photo's thumbnail (404 unless the caller may see the ticket)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "image/*"): bytes, 404: None})
    def get(self, request, path: str):
        try:
            attachment, thumb = selectors.attachment_by_path(request.user, path)
        except TicketNotFound:
            raise Http404("no such file") from None
        field = attachment.photo.thumbnail if thumb else attachment.file
        content_type = "image/jpeg" if thumb else attachment.content_type
        name = attachment.name.rsplit(".", 1)[0] + "-thumb.jpg" if thumb else attachment.name
        accel = getattr(settings, "MEDIA_ACCEL_REDIRECT", "")
        if accel:  # nginx serves the bytes (internal location), Django decides who may have them
            response = HttpResponse()
            response["X-Accel-Redirect"] = f"{accel.rstrip('/')}/{quote(field.name)}"
        else:
            try:
                response = FileResponse(field.open("rb"))
            except FileNotFoundError:
                raise Http404("the file is missing") from None
        return safe_file_headers(response, name=name, content_type=content_type)
