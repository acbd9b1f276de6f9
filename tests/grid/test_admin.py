"""The admin works offline: its map widget loads OpenLayers from our own static files."""

import re

import pytest

from grid.models import Area, User

pytestmark = pytest.mark.django_db


def test_area_change_page_has_a_map_widget_with_no_outside_assets(client):
    client.force_login(User.objects.get(username="admin"))
    area = Area.objects.current().get(code="410402002005")
    resp = client.get(f"/admin/grid/area/{area.pk}/change/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "vendor/ol/dist/ol.js" in html
    assert not re.search(r'(src|href)="https?://', html), re.findall(r'(?:src|href)="(https?://[^"]+)', html)


def test_only_staff_reach_the_admin(client):
    client.force_login(User.objects.get(username="changqing_grid"))
    resp = client.get("/admin/grid/area/")
    assert resp.status_code == 302 and "/admin/login/" in resp["Location"]
