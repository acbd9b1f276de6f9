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
# however many of that office's walls are connected. The cache is read on the event loop and the
# query for a pair is made once, the office's other sockets waiting for the same answer: a
# socket costs no thread hop per message (issue 17, item 7: with a thread hop per socket, 200
# sockets queued 200 hops per message on Channels' one database thread, behind the requests).
_VISIBLE: OrderedDict[tuple[str, int], bool] = OrderedDict()
_VISIBLE_MAX = 4096
_PENDING: dict[tuple[str, int], asyncio.Future] = {}
# message key → the event as the sockets' text frame: serialised once per message, not per socket.
_TEXT: OrderedDict[str, str] = OrderedDict()
_TEXT_MAX = 512


def _may_see(user, key: str, ticket_ids: list[int], spike_id: int | None = None) -> bool:
    """The scope query for one message (`key` names it; the caching is may_see's)."""
    if spike_id is not None:  # a flare concerns a township: whoever answers for that township [AN-1]
        return spikes_visible_to(user).filter(id=spike_id).exists()
    return tickets_visible_to(user).filter(id__in=ticket_ids).exists()


async def may_see(user, message: dict) -> bool:
    """Whether this user's office may see the message: from the cache, from the query another
    socket of the office is already making, or from a query made now."""
    cache_key = (message["key"], user.office_id)
    visible = _VISIBLE.get(cache_key)
    if visible is not None:
        return visible
    pending = _PENDING.get(cache_key)
    if pending is None:
        check = database_sync_to_async(_may_see)(user, message["key"], message["ticket_ids"], message.get("spike_id"))
        pending = _PENDING[cache_key] = asyncio.ensure_future(check)
        pending.add_done_callback(lambda done: _settle(cache_key, done))
    # shield: a socket closing while it waits must not cancel the query its office's others wait for
    return await asyncio.shield(pending)


def _settle(cache_key: tuple[str, int], done: asyncio.Future) -> None:
    _PENDING.pop(cache_key, None)
    if done.cancelled() or done.exception() is not None:
        return  # not cached: the next socket asks again
    _VISIBLE[cache_key] = done.result()
    while len(_VISIBLE) > _VISIBLE_MAX:
        _VISIBLE.popitem(last=False)


def text_of(message: dict) -> str:
    """The event's JSON text frame, made once per message in this process."""
    key = message["key"]
    text = _TEXT.get(key)
    if text is None:
        text = _TEXT[key] = json.dumps(message["event"])
        while len(_TEXT) > _TEXT_MAX:
            _TEXT.popitem(last=False)
    return text


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
        if await may_see(self.user, message):
            await self.send(text_data=text_of(message))


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
