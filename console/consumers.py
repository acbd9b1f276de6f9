"""The console's WebSocket: one agent's seat. It joins only its seat's group, so a call's events reach
the console of the agent whose extension rang and no other [CT-1]."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from dispatch.policy import may_use_console

from . import services
from .models import Seat


def _seat_for(user) -> Seat | None:
    if not may_use_console(user):
        return None
    return Seat.objects.filter(agent_id=user.pk).first()


class ConsoleConsumer(AsyncJsonWebsocketConsumer):
    """ws/console/: server → client call events; the client fetches the rest over HTTP."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        seat = await database_sync_to_async(_seat_for)(user)
        if seat is None:
            await self.close(code=4403)
            return
        self.user, self.seat_id = user, seat.id
        self.group = services.seat_group(seat.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.connected_at = timezone.now()
        await database_sync_to_async(services.sign_in)(seat.id, at=self.connected_at)
        await self.send_json({"type": "hello", "extension": seat.extension, "leader_seat": seat.is_leader_seat})

    async def disconnect(self, code):
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)
            await database_sync_to_async(services.sign_out)(self.seat_id, since=self.connected_at)

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"type": "pong", "t": content.get("t")})

    async def console_event(self, message):
        if message.get("agent_id") == self.user.pk:  # the seat may have changed hands since the event
            await self.send_json(message["event"])
