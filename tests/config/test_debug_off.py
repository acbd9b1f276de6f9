"""Production by default (issue 18, item 3): DEBUG is off unless DEBUG=1 (or `make dev`) turns it on;
`make up`'s server (daphne on config.settings) then still serves its static files, and its error
pages are the Chinese ones, never Django's debug pages with URL patterns, a traceback or settings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import RequestFactory
from django.utils import translation

from tests.servers import database_url, free_port, process

ROOT = settings.BASE_DIR
DEBUG_PAGE_MARKS = ("Using the URLconf", "Traceback", "DEBUG = True", "SECRET_KEY", "urlpatterns", "技术细节")


def _debug_under(env_extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", **env_extra})
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_debug_is_off_unless_asked_for():
    assert _debug_under({}) == "False"
    assert _debug_under({"DEBUG": "0"}) == "False"
    assert _debug_under({"DEBUG": "1"}) == "True"


def test_make_dev_is_make_up_with_debug_on():
    makefile = (ROOT / "Makefile").read_text()
    assert "\ndev:\n\t@DEBUG=1 $(MAKE) --no-print-directory up\n" in makefile


def test_the_500_page_is_chinese_and_shows_nothing_of_the_server():
    from core.errors import server_error

    with translation.override("zh-hans"):
        body = server_error(RequestFactory().get("/w/")).content.decode()
    assert "服务器出错" in body
    assert not any(mark in body for mark in DEBUG_PAGE_MARKS)


@pytest.mark.django_db
def test_make_ups_server_with_default_settings_serves_static_files_and_plain_error_pages(monkeypatch):
    monkeypatch.delenv("DEBUG", raising=False)  # the default, as `make up` runs it
    connection.ensure_connection()
    port = free_port()
    env = {"DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "config.settings", "MAPS_LIVE_TICK_SECONDS": "0"}
    daphne = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    base = f"http://127.0.0.1:{port}"
    with process(daphne, port, "daphne-debug-off", env):
        for path, kind in (("/static/maps/site.css", "text/css"), ("/static/vendor/leaflet/leaflet.js", "javascript")):
            resp = requests.get(base + path, timeout=20)
            assert resp.status_code == 200 and kind in resp.headers["Content-Type"], path
        assert requests.get(f"{base}/accounts/login/", timeout=20).status_code == 200
        page = requests.get(f"{base}/no/such/page/", timeout=20)
        assert page.status_code == 404 and "页面不存在" in page.text
        assert not any(mark in page.text for mark in DEBUG_PAGE_MARKS), page.text[:2000]
        api = requests.get(f"{base}/api/no-such-thing/", timeout=20)
        assert api.status_code == 404 and api.json()["code"] == "not_found"
        bad = requests.get(f"{base}/w/?q=%00", timeout=20)
        assert bad.status_code == 400 and not any(mark in bad.text for mark in DEBUG_PAGE_MARKS)
