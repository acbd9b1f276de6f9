"""Photos for tests, made with Pillow: a phone's JPEG with GPS in its EXIF, PNG, WebP, HEIC, and bad files."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

# NE corner of 新建路与长青路交叉口, 长青社区 [ORG-5] (near enough for a photo's EXIF)
PHOTO_LON, PHOTO_LAT = 113.2936, 33.7417


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 4)
    return (float(d), float(m), s)


def phone_exif(lon: float = PHOTO_LON, lat: float = PHOTO_LAT, *, orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.Base.Model] = "Mate 60"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.DateTime] = "2026:11:20 09:15:30"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = _dms(lat)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = _dms(lon)
    return exif


def image_bytes(fmt: str = "JPEG", size=(640, 480), *, exif: Image.Exif | None = None, color=(200, 60, 40)) -> bytes:
    img = Image.new("RGB", size, color)
    # a white block top-left shows whether orientation was applied
    img.paste((255, 255, 255), (0, 0, size[0] // 4, size[1] // 4))
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    img.save(out, fmt, **kwargs)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def phone_photo(name: str = "IMG_0001.jpg", **kw) -> SimpleUploadedFile:
    return upload(name, image_bytes("JPEG", exif=phone_exif(**kw)))


HTML_AS_JPEG = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG_AS_PNG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'


def oversized_jpeg() -> bytes:
    """A real JPEG padded past 10 MB (the size is refused before the content is read)."""
    return image_bytes("JPEG") + b"\0" * (10 * 1024 * 1024 + 1)


def bomb_png() -> bytes:
    """A PNG that claims 20000×20000 pixels (400 MP) in a few hundred kilobytes."""
    img = Image.new("1", (20000, 20000))
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()
