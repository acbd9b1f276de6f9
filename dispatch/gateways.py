"""The message gateway: SMS, phone calls and written notices to callers and offices.

Pluggable through settings.DISPATCH_MESSAGE_GATEWAY (a dotted path to a class
with the methods of MessageGateway). The default records every message in the
database (OutboundMessage), where a person sees them in admin: the callback
calls and supervision phone calls are made by people, from that list.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from dispatch.models import OutboundMessage, Ticket
from grid.models import Office


class MessageGateway(Protocol):
    def send(
        self,
        *,
        medium: str,
        purpose: str,
        text: str,
        ticket: Ticket | None = None,
        to_number: str = "",
        to_office: Office | None = None,
    ) -> OutboundMessage: ...


class DatabaseGateway:
    """Records messages; sends nothing."""

    name = "database"

    def send(self, *, medium, purpose, text, ticket=None, to_number="", to_office=None) -> OutboundMessage:
        return OutboundMessage.objects.create(
            ticket=ticket,
            medium=medium,
            purpose=purpose,
            text=text,
            to_number=to_number,
            to_office=to_office,
            gateway=self.name,
            status="recorded",
            created_at=timezone.now(),
        )

    def send_many(self, messages: list[dict]) -> list[OutboundMessage]:
        now = timezone.now()
        return OutboundMessage.objects.bulk_create(
            OutboundMessage(**m, gateway=self.name, status="recorded", created_at=now) for m in messages
        )


@lru_cache(maxsize=1)
def _gateway_class(path: str):
    return import_string(path)


def gateway() -> MessageGateway:
    path = getattr(settings, "DISPATCH_MESSAGE_GATEWAY", "dispatch.gateways.DatabaseGateway")
    return _gateway_class(path)()


class HttpSmsGateway(DatabaseGateway):
    """An adapter for a real SMS provider: SMS go out as an HTTP POST of JSON to settings.DISPATCH_SMS_URL
    with the key in settings.DISPATCH_SMS_KEY ({"to", "text", "sign", "ref"}; the provider's answer's
    "id" is kept); calls and letters are recorded for people to make, as the database gateway does.
    Every message is also recorded in the outbox, with status "sent" or "failed".

    Select it with DISPATCH_MESSAGE_GATEWAY=dispatch.gateways.HttpSmsGateway (see docs/desks.md); the
    provider posts the callers' answers to the inbound webhook (desks.webhooks.sms_inbound).
    """

    name = "http-sms"
    timeout = 5.0

    def send(self, *, medium, purpose, text, ticket=None, to_number="", to_office=None) -> OutboundMessage:
        message = super().send(
            medium=medium, purpose=purpose, text=text, ticket=ticket, to_number=to_number, to_office=to_office
        )
        if medium == OutboundMessage.Medium.SMS and to_number:
            message.status = self._post(to_number, text, ref=str(message.pk))
            message.save(update_fields=["status"])
        return message

    def send_many(self, messages: list[dict]) -> list[OutboundMessage]:
        return [self.send(**m) for m in messages]

    def _post(self, to_number: str, text: str, *, ref: str) -> str:
        import json
        import logging
        import urllib.request

        url = getattr(settings, "DISPATCH_SMS_URL", "")
        if not url:
            return "failed"
        body = json.dumps(
            {"to": to_number, "text": text, "sign": getattr(settings, "DISPATCH_SMS_SIGN", ""), "ref": ref}
        ).encode()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {getattr(settings, 'DISPATCH_SMS_KEY', '')}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (a configured https URL)
                return "sent" if 200 <= response.status < 300 else "failed"
        except OSError as exc:
            logging.getLogger(__name__).warning("SMS provider refused message %s: %s", ref, exc)
            return "failed"


# [CB-2] The callback SMS asks for a number: 1 satisfied, 2 basically satisfied, 3 unsatisfied.
_ANSWERS = (("不满意", "unsatisfied"), ("基本满意", "basic"), ("满意", "satisfied"))
_DIGITS = {"1": "satisfied", "2": "basic", "3": "unsatisfied"}


def parse_satisfaction(text: str) -> str | None:
    """The satisfaction an SMS answer gives ("1", "2", "3", or the words), None when it gives none or two."""
    import re

    text = (text or "").strip().translate(str.maketrans("１２３", "123"))
    digits = set(re.findall(r"(?<!\d)[123](?!\d)", text))
    if len(digits) == 1 and not re.search(r"\d{2,}", text):
        return _DIGITS[digits.pop()]
    if digits:
        return None
    for words, value in _ANSWERS:  # longest first: 不满意 and 基本满意 both contain 满意
        if words in text:
            return value
    return None


def normalize_number(number: str) -> str:
    """+86 138 1234 1234 → 13812341234."""
    import re

    digits = re.sub(r"\D", "", number or "")
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
