"""Security headers on every answer: a strict Content Security Policy (no inline script, eval or inline
style; no framing by anyone), nosniff and DENY framing; in production also HSTS and https upgrades. The
standalone briefing map gets a policy of its own, with a fresh nonce on each of folium's inline blocks."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.utils import timezone

from core.security import tile_sources

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/maps/grid/", "/api/docs/", "/api/grid/areas/?level=county"]
)
def test_every_answer_has_the_strict_policy_and_framing_and_sniffing_headers(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    csp = directives(resp["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]  # no 'unsafe-inline', no eval
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["connect-src"] == ["'self'"]  # the live map's socket is same-origin (CSP3 'self' covers ws:)
    assert set(csp["img-src"]) >= {"'self'", "data:", "blob:"}
    assert resp["X-Frame-Options"] == "DENY"
    assert resp["X-Content-Type-Options"] == "nosniff"


def test_swagger_ui_starts_from_a_script_file_not_an_inline_script(client):
    html = client.get("/api/docs/").content.decode()
    assert not re.search(r"<script>(?!\s*</script>)", html) and "<style>" not in html
    script = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    resp = client.get(script)
    assert resp.status_code == 200 and "SwaggerUIBundle" in resp.content.decode()


def test_the_tile_server_of_a_site_is_allowed_for_images_only():
    assert tile_sources("") == []
    assert tile_sources("http://tiles.gov.local/{z}/{x}/{y}.png") == ["http://tiles.gov.local"]
    assert tile_sources("https://{s}.tiles.gov.local:8443/{z}/{x}/{y}.png") == ["https://*.tiles.gov.local:8443"]
    assert tile_sources("javascript:alert(1)") == []
    env = {**os.environ, "MAP_TILE_URL": "https://{s}.tiles.pds.gov.cn/{z}/{x}/{y}.png"}
    code = "import django; django.setup(); from django.conf import settings as s; import json; "
    code += "print(json.dumps(s.CONTENT_SECURITY_POLICY['DIRECTIVES']))"
    out = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    policy = json.loads(out.stdout)
    assert "https://*.tiles.pds.gov.cn" in policy["img-src"]
    assert "https://*.tiles.pds.gov.cn" not in policy["script-src"] + policy["connect-src"] + policy["default-src"]


def test_production_adds_hsts_https_upgrades_and_denies_framing():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="q8#Lz2@vN5!rT0^wY7&kD4*hS1(mB9)cF6_gJ3+xP0=uA5-eR8",
        ALLOWED_HOSTS="12345.pds.gov.cn",
    )
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({"
        "'hsts': s.SECURE_HSTS_SECONDS, 'sub': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'xfo': s.X_FRAME_OPTIONS,"
        "'ssl': s.SECURE_SSL_REDIRECT, 'csp': s.CONTENT_SECURITY_POLICY['DIRECTIVES']}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    prod = json.loads(out.stdout)
    assert prod["hsts"] >= 365 * 24 * 3600 and prod["sub"] and prod["ssl"]
    assert prod["xfo"] == "DENY" and prod["csp"]["frame-ancestors"] == ["'none'"]
    assert prod["csp"]["upgrade-insecure-requests"] is True


def test_the_briefing_map_has_its_own_policy_with_a_fresh_nonce_on_each_inline_block(client):
    from grid.models import User

    client.force_login(User.objects.get(username="city_dispatcher"))
    today = timezone.localdate()
    url = f"/maps/report/410402002/?from={today - dt.timedelta(days=6)}&to={today}&download=0"
    first, second = client.get(url), client.get(url)
    csp = directives(first["Content-Security-Policy"])
    nonce = csp["script-src"][0]
    assert re.fullmatch(r"'nonce-[A-Za-z0-9_-]{24}'", nonce) and csp["style-src"] == [nonce]
    assert csp["default-src"] == ["'none'"] and csp["connect-src"] == ["'none'"]
    assert "'unsafe-inline'" not in first["Content-Security-Policy"]
    html = first.content.decode()
    tags = re.findall(r"<(?:script|style)\b[^>]*>", html)
    assert len(tags) >= 8 and all(f'nonce="{nonce[7:-1]}"' in t for t in tags)
    assert directives(second["Content-Security-Policy"])["script-src"] != [nonce]


def test_ticket_files_keep_their_own_sandbox_policy():
    """dispatch.fieldwork serves photos with `default-src 'none'; sandbox`: the site policy never replaces it."""
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse

    def view(request):
        response = HttpResponse(b"x")
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    from django.test import RequestFactory

    request = RequestFactory().get("/media/tickets/x.jpg")
    middleware = CSPMiddleware(view)
    assert middleware(request)["Content-Security-Policy"] == "default-src 'none'; sandbox"
