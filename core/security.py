"""Small security helpers used by the settings and views.

Who is asking: the client's address as the site's reverse proxies report it.

Behind nginx every request comes from the proxy, so REMOTE_ADDR alone would
lock every citizen out together (django-axes) and audit every act as the
proxy's. With TRUSTED_PROXY_COUNT = N (production: 1) the client is the N-th
address from the right of X-Forwarded-For (the one our own proxy appended);
addresses further left are the client's say-so and are ignored.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    remote = _valid(request.META.get("REMOTE_ADDR", "") or "")
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops <= 0 or not forwarded:
        return remote
    chain = [a for a in forwarded.split(",") if a.strip()]
    if len(chain) < hops:
        return remote
    return _valid(chain[-hops]) or remote


def tile_sources(url: str) -> list[str]:
    """The img-src entry for a tile server URL template (http://{s}.tiles.gov.local/{z}/{x}/{y}.png)."""
    if not url:
        return []
    parts = urlsplit(url)
    host = parts.netloc.replace("{s}.", "*.")  # subdomain rotation: a.tiles…, b.tiles…
    return [f"{parts.scheme}://{host}"] if parts.scheme in ("http", "https") and host else []
