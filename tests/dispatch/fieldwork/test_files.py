"""Ticket files over HTTP: only to those who may see the ticket, never as a page a browser would run."""

import pytest
from django.core.files.base import ContentFile

from dispatch.models import Attachment
from tests.helpers import CHANGQING, make_ticket

from .images import phone_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def drain(db):
    return make_ticket(code=CHANGQING, category="0101")


def test_a_photo_uploaded_through_the_api_is_served_only_within_scope(as_user, drain, client):
    mine = as_user("changqing_grid")
    answer = mine.post(f"/api/tickets/{drain.number}/attachments/", {"file": phone_photo()})
    assert answer.status_code == 201
    url = answer.json()["url"]
    assert url.startswith("/media/tickets/")
    served = mine.get(url)
    assert served.status_code == 200 and served["X-Content-Type-Options"] == "nosniff"
    assert as_user("guangminglu_grid2").get(url).status_code == 404  # another community
    assert as_user("water_handler").get(url).status_code == 404  # a department not on it
    assert as_user("city_dispatcher").get(url).status_code == 200
    assert client.get(url).status_code in (401, 403)
    assert mine.get("/media/tickets/2026/11/not-there.jpg").status_code == 404
    assert mine.get("/media/../config/settings/base.py").status_code == 404


def test_anything_that_is_not_a_photo_is_a_download_never_a_page(as_user, drain):
    page = Attachment.objects.create(
        ticket=drain,
        file=ContentFile(b"<script>alert(1)</script>", name="x.html"),
        name="x.html",
        content_type="text/html",
    )
    served = as_user("changqing_grid").get(page.file.url)
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in served["Content-Security-Policy"]


def test_behind_nginx_the_bytes_come_from_an_internal_location(as_user, drain, settings):
    settings.MEDIA_ACCEL_REDIRECT = "/protected-media/"
    url = (
        as_user("changqing_grid")
        .post(f"/api/tickets/{drain.number}/attachments/", {"file": phone_photo()})
        .json()["url"]
    )
    served = as_user("changqing_grid").get(url)
    assert served["X-Accel-Redirect"] == "/protected-media/" + url.removeprefix("/media/")
    assert served.content == b"" and served["Content-Type"] == "image/jpeg"
