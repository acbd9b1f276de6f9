"""The wall's WebSocket: joins the groups of the user's office, forwards the events
the user may see, and keeps the process's pusher running. The pusher computes
nothing: it delivers what the supervisor recorded (overdue and hotspot notices,
spike alerts) to this process's sockets."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import connection

from alerts.selectors import spikes_visible_to
from dispatch.selectors import tickets_visible_to

from . import live

logger = logging.getLogger(__name__)

# (message key, office id) → may see: one scope query per message and office in a process,
# however many of that office's walls are connected.
_VISIBLE: OrderedDict[tuple[str, int], bool] = OrderedDict()
_VISIBLE_MAX = 4096


def _may_see(user, key: str, ticket_ids: list[int], spike_id: int | None = None) -> bool:
    cache_key = (key, user.office_id)
    if cache_key in _VISIBLE:
        return _VISIBLE[cache_key]
    if spike_id is not None:  # a flare concerns a township: whoever answers for that township [AN-1]
        visible = spikes_visible_to(user).filter(id=spike_id).exists()
    else:
        visible = tickets_visible_to(user).filter(id__in=ticket_ids).exists()
    _VISIBLE[cache_key] = visible
    while len(_VISIBLE) > _VISIBLE_MAX:
        _VISIBLE.popitem(last=False)
    return visible


class WallConsumer(AsyncJsonWebsocketConsumer):
    """ws/maps/live/: server → client events only; the client re-fetches state over HTTP when it (re)connects."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        office = await database_sync_to_async(lambda: user.office)()
        self.groups_joined = live.groups_for_office(office)
        if not self.groups_joined:
            await self.close(code=4403)
            return
        self.user = user
        self.seen: OrderedDict[str, None] = OrderedDict()
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "scope": office.area_code, "office": office.name})
        ensure_ticker()

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """A frame that is not a JSON text (binary, malformed, nested past any reason) closes the socket
        with 1003 "unsupported data", not 1011 "server error"; JSON that is not a known message is ignored."""
        try:
            if text_data is None:
                raise ValueError("a binary frame")
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.close(code=1003)
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "t": content.get("t")})

    async def maps_event(self, message):
        key = message["key"]
        if key in self.seen:  # the same event through two of this socket's groups
            return
        self.seen[key] = None
        if len(self.seen) > 512:
            self.seen.popitem(last=False)
        if await database_sync_to_async(_may_see)(self.user, key, message["ticket_ids"], message.get("spike_id")):
            await self.send_json(message["event"])


# -- the pusher ------------------------------------------------------------------------

_ticker: asyncio.Task | None = None


def ensure_ticker() -> None:
    """Start this process's pusher once (with the first wall socket): every MAPS_LIVE_TICK_SECONDS it
    pushes the notices and spike alerts the supervisor recorded and no process has pushed yet.
    Several processes may run one: row locks (SKIP LOCKED) keep each pushed once."""
    global _ticker
    interval = float(settings.MAPS_LIVE_TICK_SECONDS)
    if interval <= 0 or (_ticker is not None and not _ticker.done()):
        return
    _ticker = asyncio.get_running_loop().create_task(_tick_forever(interval))


def _tick(loop: asyncio.AbstractEventLoop) -> None:
    """One pass, in a worker thread."""
    from .services import push_notices, push_spike_alerts

    try:
        with live.sending_through(loop):
            push_notices()
            push_spike_alerts()
    finally:
        connection.close()


async def _tick_forever(interval: float) -> None:
    while True:
        try:
            # Its own thread: the database round trips must not hold up the sockets' scope checks.
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, _tick, loop)
        except Exception:
            logger.exception("live pusher pass failed")
        await asyncio.sleep(interval)
