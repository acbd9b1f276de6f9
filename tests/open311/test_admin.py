"""Admin: the Open311 keys have their pages under the open311 app (the table kept its name)."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_open311_key_pages_render_under_their_app(as_user):
    admin = as_user("admin")
    assert admin.get("/admin/open311/open311key/").status_code == 200
    assert admin.get("/admin/open311/open311key/add/").status_code == 200
    assert admin.get("/admin/dispatch/open311key/").status_code == 404
