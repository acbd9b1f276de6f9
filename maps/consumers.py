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
from channels.layers import get_channel_layer
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
    """ws/maps/live/: server → client events only; the client re-fetches state over HTTP when it (re)connects.

    A wall socket has no channel of its own on the layer: the process's Hub hears the groups once and
    hands each message to its sockets (issue 17, item 7)."""

    # No layer channel per socket (channels gives none for an alias it does not know): with one,
    # every message woke every socket's receive() on the layer.
    channel_layer_alias = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        # The login's backend reads the office with the user (grid.backends): no hop to Channels' one
        # database thread then, where a thousand walls reconnecting at once would queue past daphne's
        # handshake timeout.
        office_field = user._meta.get_field("office")
        if office_field.is_cached(user):
            office = office_field.get_cached_value(user)
        else:
            office = await database_sync_to_async(lambda: user.office)()
        groups = live.groups_for_office(office)
        if not groups:
            await self.close(code=4403)
            return
        self.user = user
        self.seen: OrderedDict[str, None] = OrderedDict()
        # Accepted before it joins: the hub only ever writes to (or closes) an open socket.
        await self.accept()
        self.hub = hub_for(get_channel_layer())
        if self.hub is not None:
            try:
                await self.hub.join(self, groups)
            except Exception:
                logger.warning("wall socket: the channel layer refused the join; closing", exc_info=True)
                await self.close(code=LAYER_LOST)
                return
        # No await between the join's last step and the hello: the hello is the socket's first frame.
        await self.send_json({"type": "hello", "scope": office.area_code, "office": office.name})
        ensure_ticker()

    async def disconnect(self, code):
        hub = getattr(self, "hub", None)
        if hub is not None:
            await hub.leave(self)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """A frame that is not a JSON text (binary, malformed, nested past any reason) closes the socket
        with 4003, our "unsupported data" (the protocol's 1003 is not allowed from an application: daphne's
        autobahn refuses any code but 1000 and 3000–4999 and would leave the socket open), not 1011 "server
        error"; JSON that is not a known message is ignored."""
        try:
            if text_data is None:
                raise ValueError("a binary frame")
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.close(code=UNSUPPORTED_DATA)
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "t": content.get("t")})

    def first_time(self, key: str) -> bool:
        """False for the same event through another of this socket's groups."""
        if key in self.seen:
            return False
        self.seen[key] = None
        if len(self.seen) > 512:
            self.seen.popitem(last=False)
        return True


# -- the process's one member of the wall groups ---------------------------------------------------


class Hub:
    """This process's wall sockets hear the wall groups through ONE channel of the layer: the hub
    joins a group with the first socket that needs it and leaves it with the last, receives each
    message once, and writes the frame (serialised once) to the group's sockets, asking the scope
    once per office (issue 17, item 7). With a layer channel per socket, channels-redis woke every
    socket's receive() per message (two tasks, a wait and its receive lock each) and the in-memory
    layer deep-copied the message per socket: 1,000 sockets over two processes fell a minute behind.
    Each copy of a message names its group (maps.live.send).

    When the layer loses its connection (core.channel_layer tells the hub's receive()), the hub
    closes its sockets (LAYER_LOST), forgets its groups (Redis forgot them too) and stops; each wall
    reconnects (maps/static/maps/live.js), re-fetches its state, and the first join starts the hub
    again on a new channel."""

    def __init__(self, layer, loop: asyncio.AbstractEventLoop):
        self.layer = layer
        self.loop = loop
        self.channel: str | None = None
        self.members: dict[str, set[WallConsumer]] = {}  # group → its open sockets in this process
        self.groups_of: dict[WallConsumer, list[str]] = {}
        self.lock = asyncio.Lock()  # joins and leaves in order: a group is never left after it was rejoined
        self.task: asyncio.Task | None = None
        self.refresher: asyncio.Task | None = None

    async def join(self, consumer: WallConsumer, groups: list[str]) -> None:
        async with self.lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel(HUB_PREFIX)
            for group in groups:
                if not self.members.get(group):
                    await self.layer.group_add(group, self.channel)
            # From here to the caller's hello, no await: the socket is a member from its first frame on.
            for group in groups:
                self.members.setdefault(group, set()).add(consumer)
            self.groups_of[consumer] = list(groups)
            if self.task is None or self.task.done():
                self.task = self.loop.create_task(self._run(self.channel))
            if self.refresher is None or self.refresher.done():
                self.refresher = self.loop.create_task(self._refresh_forever())

    async def leave(self, consumer: WallConsumer) -> None:
        async with self.lock:
            for group in self.groups_of.pop(consumer, ()):
                members = self.members.get(group)
                if members is None:
                    continue
                members.discard(consumer)
                if not members:
                    del self.members[group]
                    try:
                        await self.layer.group_discard(group, self.channel)
                    except Exception:  # the layer is down: the group went with it
                        logger.warning("live hub: could not leave %s", group)

    async def _refresh_forever(self) -> None:
        """Join the groups again every MAPS_LIVE_REJOIN_SECONDS (an hour): the layer forgets a member
        after its group_expiry (a day) and a wall stays connected for weeks."""
        every = float(getattr(settings, "MAPS_LIVE_REJOIN_SECONDS", 3600))
        while self.members:
            await asyncio.sleep(every)
            async with self.lock:
                for group in list(self.members):
                    try:
                        await self.layer.group_add(group, self.channel)
                    except Exception:
                        logger.warning("live hub: could not rejoin %s", group)

    async def _run(self, channel: str) -> None:
        # Never cancelled while a member is left: a receive cut in the middle of channels-redis' shared
        # pop could drop a message meant for another channel of the process (the console's seats).
        while self.members and self.channel == channel:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("live hub: the channel layer failed; closing this process's wall sockets", exc_info=True)
                await self._lost(channel)
                return
            try:
                await self.deliver(message)
            except Exception:
                logger.exception("live hub: a message could not be delivered")

    async def _lost(self, channel: str) -> None:
        async with self.lock:
            if self.channel != channel:
                return
            consumers = list(self.groups_of)
            self.members, self.groups_of, self.channel = {}, {}, None
        for consumer in consumers:
            try:
                await consumer.close(code=LAYER_LOST)
            except Exception:  # already closing
                logger.debug("live hub: a socket was already closing", exc_info=True)

    async def deliver(self, message: dict) -> None:
        """Hand one message to the sockets of its group that have not had it, office by office."""
        if message.get("type") != live.MESSAGE_TYPE:
            return
        key = message["key"]
        by_office: dict[int, list[WallConsumer]] = {}
        for consumer in list(self.members.get(message.get("group"), ())):
            if consumer.first_time(key):
                by_office.setdefault(consumer.user.office_id, []).append(consumer)
        text = None
        for consumers in by_office.values():
            if not await may_see(consumers[0].user, message):
                continue
            text = text or text_of(message)
            for consumer in consumers:
                if consumer not in self.groups_of:  # it left while the scope was being asked
                    continue
                try:
                    await consumer.send(text_data=text)
                except Exception:  # a socket closing meanwhile
                    logger.debug("live hub: a socket went away", exc_info=True)


# The close code when the layer lost Redis: the wall reconnects on any close (live.js). An application
# may close only with 1000 or 3000–4999 (autobahn refuses 1011 from it: the socket stayed open, deaf).
UNSUPPORTED_DATA = 4003  # a frame that is not JSON text
LAYER_LOST = 4500
HUB_PREFIX = "maps.hub"  # the settings give channels named so a larger capacity
_hubs: dict[int, Hub] = {}


def hub_for(layer) -> Hub | None:
    """This event loop's hub on this layer (tests run several loops and layers in one process);
    None without a channel layer."""
    if layer is None:
        return None
    loop = asyncio.get_running_loop()
    hub = _hubs.get(id(loop))
    if hub is None or hub.layer is not layer or hub.loop is not loop:
        hub = _hubs[id(loop)] = Hub(layer, loop)
    return hub


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
