"""Photos from phones: accepted by content, refused with a message that names the file, cleaned of EXIF."""

import io

import pytest
from PIL import ExifTags, Image

from core.photos import MAX_PHOTOS, PhotoRejected, clean_photo, clean_photos, exif_location

from .images import (
    HTML_AS_JPEG,
    PHOTO_LAT,
    PHOTO_LON,
    SVG_AS_PNG,
    bomb_png,
    image_bytes,
    oversized_jpeg,
    phone_exif,
    phone_photo,
    upload,
)


@pytest.mark.parametrize(
    "name, fmt, served",
    [
        ("IMG_0001.jpg", "JPEG", "image/jpeg"),
        ("screen.png", "PNG", "image/png"),
        ("wechat.webp", "WEBP", "image/webp"),
        ("IMG_0002.HEIC", "HEIF", "image/jpeg"),  # browsers cannot show HEIC: it is served as JPEG
    ],
)
def test_the_four_photo_formats_are_accepted_by_content(name, fmt, served):
    photo = clean_photo(upload(name, image_bytes(fmt, exif=phone_exif()), "application/octet-stream"))
    assert photo.original_format == fmt
    assert photo.content_type == served
    assert Image.open(io.BytesIO(photo.data)).format == served.split("/")[1].upper().replace("JPG", "JPEG")
    assert photo.name == name and photo.stored_name != name  # never the user's name on disk


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_the_gps_position_is_kept_as_data_and_stripped_from_the_served_copy(fmt):
    photo = clean_photo(upload(f"p.{fmt.lower()}", image_bytes(fmt, exif=phone_exif())))
    assert photo.exif_lonlat == pytest.approx((PHOTO_LON, PHOTO_LAT), abs=1e-4)
    for data in (photo.data, photo.thumb):
        served = Image.open(io.BytesIO(data))
        exif = served.getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert ExifTags.Base.Make not in exif
        assert b"GPS" not in data and b"HUAWEI" not in data and b"Exif" not in data


def test_the_time_and_device_are_read_from_the_exif():
    photo = clean_photo(phone_photo())
    assert photo.device == "HUAWEI Mate 60"
    assert photo.taken_at is not None and photo.taken_at.strftime("%Y-%m-%d %H:%M") == "2026-11-20 09:15"
    assert len(photo.sha256) == 64


def test_the_orientation_is_applied_to_the_pixels_since_the_exif_is_gone():
    photo = clean_photo(phone_photo(orientation=6))  # a portrait photo stored landscape, 640×480
    served = Image.open(io.BytesIO(photo.data))
    assert served.size == (480, 640)


def test_a_thumbnail_is_made_and_big_photos_are_scaled_down_for_slow_connections():
    photo = clean_photo(upload("big.jpg", image_bytes("JPEG", size=(4000, 3000))))
    assert max(photo.width, photo.height) == 2560
    thumb = Image.open(io.BytesIO(photo.thumb))
    assert max(thumb.size) == 480 and thumb.format == "JPEG"


@pytest.mark.parametrize(
    "name, data, code",
    [
        ("photo.jpg", HTML_AS_JPEG, "not_a_photo"),  # a renamed HTML page
        ("photo.png", SVG_AS_PNG, "not_a_photo"),  # SVG can carry script
        ("photo.gif", image_bytes("GIF"), "not_a_photo"),  # a real image, but not one we take
        ("big.jpg", oversized_jpeg(), "too_large"),
        ("bomb.png", bomb_png(), "too_many_pixels"),  # a decompression bomb is refused before decoding
        ("cut.jpg", image_bytes("JPEG", size=(1200, 900))[:3000], "damaged"),
    ],
    ids=["html", "svg", "gif", "oversized", "bomb", "truncated"],
)
def test_files_that_are_not_acceptable_photos_are_refused_with_a_message_naming_them(name, data, code):
    with pytest.raises(PhotoRejected) as refused:
        clean_photo(upload(name, data, "image/jpeg"))
    assert refused.value.code == code and name in refused.value.messages[0]


def test_at_most_six_photos_at_a_time_and_every_bad_file_is_named():
    with pytest.raises(PhotoRejected) as refused:
        clean_photos([phone_photo(f"p{i}.jpg") for i in range(MAX_PHOTOS + 1)])
    assert refused.value.code == "too_many"
    with pytest.raises(PhotoRejected) as refused:
        clean_photos([phone_photo("good.jpg"), upload("a.jpg", HTML_AS_JPEG), upload("b.jpg", oversized_jpeg())])
    assert len(refused.value.messages) == 2
    assert len(clean_photos([phone_photo(f"p{i}.jpg") for i in range(MAX_PHOTOS)])) == MAX_PHOTOS


def test_nonsense_gps_is_ignored():
    exif = phone_exif(lon=0.0, lat=0.0)
    assert exif_location(exif) is None
    assert exif_location(Image.Exif()) is None
