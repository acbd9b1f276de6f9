"""How a ticket reaches a linked system [CT-2]: a backend named by settings.LINKAGE_BACKEND, like the
console's PBX adapter (console/pbx.py).

- `OutboxBackend` (the default) keeps the hand-over in the outbox table (`HandOver`, state outbox):
  it is on the ticket and in the admin, and the linked system's reference is recorded when it answers
  (by its own call to `/api/linkage/handovers/<key>/reference`, or a person in the admin).
- `HttpJsonBackend` posts the hand-over as JSON to the linked system's endpoint
  (settings.LINKAGE_ENDPOINTS[code] = {"url", "token", "timeout"}), with the hand-over's idempotency key
  in `Idempotency-Key`, retrying a timeout, a connection error, 408, 429 and 5xx answers
  (settings.LINKAGE_RETRIES attempts, LINKAGE_RETRY_BACKOFF seconds doubled each time). A line without
  an endpoint goes to the outbox. The payload and the answer are documented in docs/linkage.md.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

RETRYABLE_STATUSES = {408, 425, 429, 500, 502, 503, 504}


@dataclass
class Delivery:
    """What the backend did: outbox (kept here), sent (the system took it, no reference yet), accepted."""

    state: str
    reference: str = ""
    attempts: int = 0
    answer: dict = field(default_factory=dict)


class HandOverFailed(Exception):
    def __init__(self, message: str, *, attempts: int):
        super().__init__(message)
        self.message, self.attempts = message, attempts


class LinkageBackend(Protocol):
    def hand_over(self, *, line: str, payload: dict, idempotency_key: str) -> Delivery:
        """Deliver one hand-over to the line's system; raise HandOverFailed when it cannot."""


class OutboxBackend:
    """Records only: the hand-over waits in the outbox table for the linked system's answer."""

    def hand_over(self, *, line: str, payload: dict, idempotency_key: str) -> Delivery:
        return Delivery("outbox")


class HttpJsonBackend:
    """POSTs the payload to the line's endpoint; a 2xx answer `{"reference": "…"}` accepts it."""

    def __init__(self, endpoints: dict | None = None, retries: int | None = None, backoff: float | None = None):
        self.endpoints = endpoints if endpoints is not None else getattr(settings, "LINKAGE_ENDPOINTS", {})
        self.retries = max(1, retries if retries is not None else getattr(settings, "LINKAGE_RETRIES", 3))
        self.backoff = backoff if backoff is not None else getattr(settings, "LINKAGE_RETRY_BACKOFF", 0.5)

    def hand_over(self, *, line: str, payload: dict, idempotency_key: str) -> Delivery:
        endpoint = self.endpoints.get(line)
        if not endpoint or not endpoint.get("url"):
            return Delivery("outbox")
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": idempotency_key}
        if endpoint.get("token"):
            headers["Authorization"] = f"Bearer {endpoint['token']}"
        error = ""
        for attempt in range(1, self.retries + 1):
            request = urllib.request.Request(endpoint["url"], data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=endpoint.get("timeout", 5)) as response:
                    answer = _json(response.read())
                    reference = str(answer.get("reference") or "")[:64]
                    return Delivery("accepted" if reference else "sent", reference, attempt, answer)
            except urllib.error.HTTPError as e:
                error = f"HTTP {e.code}: {_json(e.read()).get('detail', e.reason)}"[:500]
                if e.code not in RETRYABLE_STATUSES:
                    raise HandOverFailed(error, attempts=attempt) from None
            except (TimeoutError, urllib.error.URLError, ConnectionError) as e:
                error = f"{type(e).__name__}: {getattr(e, 'reason', e)}"[:500]
            if attempt < self.retries:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        raise HandOverFailed(error, attempts=self.retries)


def _json(raw: bytes) -> dict:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def backend() -> LinkageBackend:
    """The configured backend (settings.LINKAGE_BACKEND, a dotted path)."""
    return import_string(getattr(settings, "LINKAGE_BACKEND", "linkage.backends.OutboxBackend"))()
