"""The SMS gateway's inbound webhook [CB-2]: the provider posts each caller's answer here.

POST JSON {"id": provider's message id, "from": number, "text": answer, "received_at": ISO 8601 (optional)}
with the header `Authorization: Bearer <settings.DISPATCH_SMS_INBOUND_TOKEN>`. Answers 200 with what was
recorded; 401 without the right token (and when no token is configured: the webhook is off); 400 for a
body it cannot read. Delivered twice, an answer is recorded once (the provider's id).
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dispatch import services


def _authorized(request) -> bool:
    expected = getattr(settings, "DISPATCH_SMS_INBOUND_TOKEN", "")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@csrf_exempt
@require_POST
def sms_inbound(request):
    if not _authorized(request):
        return JsonResponse({"detail": "A valid gateway token is required.", "code": "bad_token"}, status=401)
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"detail": "The body is not JSON.", "code": "bad_json"}, status=400)
    if not isinstance(body, dict):
        return JsonResponse({"detail": "The body must be a JSON object.", "code": "bad_json"}, status=400)
    errors = {}
    provider_id, number, text = (str(body.get(k) or "").strip() for k in ("id", "from", "text"))
    if not provider_id or len(provider_id) > 64:
        errors["id"] = "The provider's message id (1 to 64 characters) is required."
    if not number or len(number) > 24:
        errors["from"] = "The sender's number is required."
    if not text:
        errors["text"] = "The text is required."
    received_at = None
    if body.get("received_at"):
        received_at = parse_datetime(str(body["received_at"]))
        if received_at is None or received_at.tzinfo is None:
            errors["received_at"] = "Give an ISO 8601 time with a time zone."
    if errors:
        return JsonResponse({"detail": "Invalid inbound message.", "code": "invalid", "errors": errors}, status=400)
    message = services.record_sms_answer(
        provider_id=provider_id, from_number=number, text=text, received_at=received_at, gateway_name="webhook"
    )
    return JsonResponse(
        {
            "id": message.provider_id,
            "outcome": message.outcome,
            "ticket": message.ticket.number if message.ticket_id else None,
            "satisfaction": message.satisfaction or None,
        }
    )
