"""Who is asking: the client's address as the site's reverse proxies report it.

Behind nginx every request comes from the proxy, so REMOTE_ADDR alone would
lock every citizen out together (django-axes) and audit every act as the
proxy's. With TRUSTED_PROXY_COUNT = N (production: 1) the client is the N-th
address from the right of X-Forwarded-For (the one our own proxy appended);
addresses further left are the client's say-so and are ignored.
"""

from __future__ import annotations

import ipaddress

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
