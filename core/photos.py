"""Photos, from phones and through the tickets API alike: checked by what they contain, cleaned
before anyone sees them. The one validator and cleaner of ticket images: the API's attachment
upload (dispatch.api) and the workstations' photos (dispatch.fieldwork) both call clean_photo.

A photo is accepted when its bytes decode as JPEG, PNG, WebP or HEIC/HEIF
(whatever its name or the browser's content type say), it is at most 10 MB and
at most 64 megapixels (a decompression bomb is refused before it is decoded).
The copy we store and serve is re-encoded from the pixels: no EXIF, XMP or
comments survive, so the GPS position a phone writes into a photo is never
served; it is kept as data (Photo.exif_point) with the time, the device and the
SHA-256 of the file as uploaded. HEIC becomes JPEG (browsers cannot show it);
large photos are scaled to 2560 px for slow connections; a thumbnail is made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_PIXELS = 64_000_000
MAX_PHOTOS = 6
SERVED_MAX_SIDE = 2560
THUMB_MAX_SIDE = 480
# What we accept (Pillow's format names) and what we serve it as.
ACCEPTED = {
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
    "HEIF": ("JPEG", "image/jpeg", "jpg"),
}
SERVED_TYPES = {"image/jpeg", "image/png", "image/webp"}

_heif_registered = False


def register_heif() -> bool:
    """Teach Pillow to open HEIC/HEIF (pillow-heif); False when the package is missing."""
    global _heif_registered
    if not _heif_registered:
        try:
            from pillow_heif import register_heif_opener
        except ImportError:  # HEIC photos are then refused with the message for unknown formats
            return False
        register_heif_opener()
        _heif_registered = True
    return True


class PhotoRejected(ValidationError):
    """A file that is not an acceptable photo; the message names the file and what to do."""


@dataclass
class CleanPhoto:
    name: str  # the name the user gave the file
    stored_name: str  # a random name on disk
    content_type: str
    data: bytes
    thumb: bytes
    width: int
    height: int
    original_format: str
    original_size: int
    sha256: str
    taken_at: dt.datetime | None = None
    exif_lonlat: tuple[float, float] | None = None
    device: str = ""


def _display_name(upload) -> str:
    name = (getattr(upload, "name", "") or "photo").replace("\\", "/").rsplit("/", 1)[-1]
    return name[:200] or "photo"


def _dms(value) -> float | None:
    try:
        d, m, s = (float(x) for x in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = d + m / 60 + s / 3600
    return result if math.isfinite(result) else None


def exif_location(exif: Image.Exif) -> tuple[float, float] | None:
    """(lon, lat) from the EXIF GPS block, or None when it is missing or nonsense."""
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # a broken GPS block is ignored, the photo is still good
        return None
    if not gps:
        return None
    lat, lon = _dms(gps.get(ExifTags.GPS.GPSLatitude)), _dms(gps.get(ExifTags.GPS.GPSLongitude))
    if lat is None or lon is None:
        return None
    if str(gps.get(ExifTags.GPS.GPSLatitudeRef, "N")).upper().startswith("S"):
        lat = -lat
    if str(gps.get(ExifTags.GPS.GPSLongitudeRef, "E")).upper().startswith("W"):
        lon = -lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return round(lon, 7), round(lat, 7)


def _exif_time(exif: Image.Exif) -> dt.datetime | None:
    try:
        raw = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
        if not raw:
            return None
        naive = dt.datetime.strptime(str(raw).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except (ValueError, TypeError, KeyError):
        return None
    return timezone.make_aware(naive) if timezone.is_naive(naive) else naive


def _device(exif: Image.Exif) -> str:
    parts = [str(exif.get(tag, "")).strip("\x00 ") for tag in (ExifTags.Base.Make, ExifTags.Base.Model)]
    return " ".join(p for p in parts if p)[:100]


def _encode(img: Image.Image, fmt: str, *, quality: int, icc: bytes | None = None) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        if img.mode not in ("RGB", "L"):
            img = _flatten(img)
        img.save(out, "JPEG", quality=quality, optimize=True, progressive=True, **({"icc_profile": icc} if icc else {}))
    elif fmt == "WEBP":
        img.save(out, "WEBP", quality=quality, method=4, **({"icc_profile": icc} if icc else {}))
    else:
        img.save(out, "PNG", optimize=False, **({"icc_profile": icc} if icc else {}))
    return out.getvalue()


def _flatten(img: Image.Image) -> Image.Image:
    """RGB on white, for JPEG (which has no transparency)."""
    img = img.convert("RGBA")
    background = Image.new("RGB", img.size, (255, 255, 255))
    background.paste(img, mask=img.getchannel("A"))
    return background


def clean_photo(upload) -> CleanPhoto:
    """Check one uploaded file and make the copy we store; PhotoRejected with a clear message otherwise."""
    register_heif()
    name = _display_name(upload)
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise PhotoRejected(
            _("%(name)s is %(size).1f MB: a photo may be at most 10 MB.")
            % {"name": name, "size": math.ceil(size / 104857.6) / 10},
            code="too_large",
        )
    upload.seek(0)
    raw = upload.read(MAX_PHOTO_BYTES + 1)
    if len(raw) > MAX_PHOTO_BYTES:
        raise PhotoRejected(_("%(name)s is larger than 10 MB.") % {"name": name}, code="too_large")
    not_a_photo = PhotoRejected(
        _("%(name)s is not a photo: only JPEG, PNG, WebP and HEIC images are accepted.") % {"name": name},
        code="not_a_photo",
    )
    too_many_pixels = _("%(name)s has too many pixels: at most 64 megapixels are accepted.") % {"name": name}
    try:
        img = Image.open(io.BytesIO(raw))
        fmt = img.format
    except Image.DecompressionBombError:
        raise PhotoRejected(too_many_pixels, code="too_many_pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise not_a_photo from None
    if fmt not in ACCEPTED:
        raise not_a_photo
    width, height = img.size
    if width * height > MAX_PHOTO_PIXELS or width < 1 or height < 1:
        raise PhotoRejected(too_many_pixels, code="too_many_pixels")
    try:
        exif = img.getexif()
        lonlat, taken_at, device = exif_location(exif), _exif_time(exif), _device(exif)
    except Exception:  # unreadable EXIF: keep the pixels, lose the metadata
        exif, lonlat, taken_at, device = None, None, None, ""
    out_fmt, content_type, ext = ACCEPTED[fmt]
    try:
        if fmt == "JPEG":
            img.draft("RGB", (SERVED_MAX_SIDE, SERVED_MAX_SIDE))  # decode at a reduced scale: faster, less memory
        img.load()
        icc = img.info.get("icc_profile")
        img = ImageOps.exif_transpose(img)  # the served copy has no EXIF: apply its orientation to the pixels
        img.info = {}  # drop EXIF, XMP, comments and text chunks from what gets encoded
        if img.mode not in ("RGB", "RGBA", "L", "LA", "P", "PA"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        img.thumbnail((SERVED_MAX_SIDE, SERVED_MAX_SIDE), Image.Resampling.LANCZOS)
        data = _encode(img, out_fmt, quality=85, icc=icc)
        thumb_img = img.copy()
        thumb_img.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE), Image.Resampling.LANCZOS)
        thumb = _encode(thumb_img, "JPEG", quality=75)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise PhotoRejected(
            _("%(name)s could not be read: the image is damaged or incomplete.") % {"name": name}, code="damaged"
        ) from None
    return CleanPhoto(
        name=name,
        stored_name=f"{uuid.uuid4().hex}.{ext}",
        content_type=content_type,
        data=data,
        thumb=thumb,
        width=img.width,
        height=img.height,
        original_format=fmt,
        original_size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        taken_at=taken_at,
        exif_lonlat=lonlat,
        device=device,
    )


def clean_photos(uploads) -> list[CleanPhoto]:
    """Every photo of one submission checked; one ValidationError naming each bad file."""
    uploads = [u for u in uploads if u is not None and getattr(u, "name", "")]
    if len(uploads) > MAX_PHOTOS:
        raise PhotoRejected(
            _("At most %(n)s photos at a time; %(given)s were chosen.") % {"n": MAX_PHOTOS, "given": len(uploads)},
            code="too_many",
        )
    cleaned, errors = [], []
    for upload in uploads:
        try:
            cleaned.append(clean_photo(upload))
        except PhotoRejected as e:
            errors.extend(e.messages)
    if errors:
        raise PhotoRejected(errors)
    return cleaned
