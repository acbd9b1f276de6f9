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
