"""The channel layer against a real Redis that idles, restarts and stalls (core/channel_layer.py).

channels-redis alone, no Django server: a private redis-server on a free loopback port (never the
machine's own), the layer of our settings, and "walls" modelled on channels' consumers — a socket
awaits `receive()` on its channel; if that raises, the consumer dies, the socket closes, and the
wall reconnects with a new channel and joins its group again. Before the fix, the first test saw
`TimeoutError: Timeout reading from …` after 5 s of quiet, and the second left two of three walls
deaf after Redis came back (docs/RELIABILITY.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import pytest
from channels_redis.core import RedisChannelLayer as PlainRedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError

from core.channel_layer import ChannelLayerConnectionLost, RedisChannelLayer
from tests.servers import ROOT, free_port

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")

GROUP = "maps.city"


class PrivateRedis:
    """A redis-server of this test's own, stopped and started again on the same port (nothing kept
    across a restart: no RDB, no AOF, as in the fault run)."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="grid-redis-")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        # fmt: off
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        # fmt: on
        deadline = time.time() + 10
        while True:
            ping = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
            if ping.stdout.strip() == "PONG":
                return
            assert time.time() < deadline and self.proc.poll() is None, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def pause(self, seconds: float) -> None:
        """Stall the server (SIGSTOP): connections stay open, nothing is answered."""
        os.kill(self.proc.pid, signal.SIGSTOP)
        time.sleep(seconds)
        os.kill(self.proc.pid, signal.SIGCONT)


@pytest.fixture
def redis():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


@dataclass
class Wall:
    """One wall socket, as channels runs its consumer: receive until it raises, then reconnect."""

    name: str
    layer: PlainRedisChannelLayer
    received: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    joined: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        while True:
            try:
                channel = await self.layer.new_channel()
                await self.layer.group_add(GROUP, channel)
            except Exception:  # Redis is down: the wall retries its connection
                await asyncio.sleep(0.2)
                continue
            self.joined.set()
            try:
                while True:
                    message = await self.layer.receive(channel)
                    self.received.append(message["n"])
            except Exception as exc:  # the consumer dies; daphne closes the socket; the wall reconnects
                self.joined.clear()
                self.errors.append(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(0.2)


def layer_of_settings(url: str, **host_options) -> PlainRedisChannelLayer:
    """The layer class our settings use with REDIS_URL (test_the_settings_use_it), on this test's Redis."""
    host = {"address": url, **host_options} if host_options else url
    return RedisChannelLayer(hosts=[host], prefix=f"test-{free_port()}")


async def until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def test_a_wall_that_hears_nothing_for_longer_than_the_read_timeout_keeps_its_socket(redis):
    """redis-py 8 reads with a 5 s timeout; channels-redis' pop blocked 5 s, so 5 s of quiet killed
    the socket. The pop now blocks half the read timeout and the quiet socket stays up."""

    async def scenario():
        layer = layer_of_settings(redis.url)
        wall = Wall("city", layer)
        task = asyncio.create_task(wall.run())
        assert await until(wall.joined.is_set, 5)
        await asyncio.sleep(6.5)  # nothing happens on the city for longer than the read timeout
        await layer.group_send(GROUP, {"type": "maps.event", "n": 1})
        assert await until(lambda: wall.received, 2)
        task.cancel()
        await layer.close_pools()
        return wall

    wall = asyncio.run(scenario())
    assert wall.received == [1]
    assert wall.errors == []  # before the fix: ["TimeoutError: Timeout reading from 127.0.0.1:…"]


def test_after_a_quick_redis_restart_every_wall_of_the_process_rejoins_and_hears_the_next_push(redis):
    """Redis comes back empty: the groups were in its memory. Every socket waiting on the layer is
    told (not only the one whose pop was cut), so every wall rejoins and re-fetches, none stays deaf."""

    async def scenario():
        layer = layer_of_settings(redis.url)
        walls = [Wall(name, layer) for name in ("A", "B", "C")]
        tasks = [asyncio.create_task(w.run()) for w in walls]
        assert await until(lambda: all(w.joined.is_set() for w in walls), 5)
        await layer.group_send(GROUP, {"type": "maps.event", "n": 1})
        assert await until(lambda: all(w.received == [1] for w in walls), 2)

        # Redis restarts between two turns of this process's event loop (a quick restart, a busy
        # server): the sockets waiting on the layer find it already back, and empty.
        redis.stop()
        redis.start()
        told = await until(lambda: all(w.errors for w in walls), 3)
        assert await until(lambda: all(w.joined.is_set() for w in walls), 5)
        await layer.group_send(GROUP, {"type": "maps.event", "n": 2})
        await until(lambda: all(2 in w.received for w in walls), 3)
        for t in tasks:
            t.cancel()
        await layer.close_pools()
        return walls, told

    walls, told = asyncio.run(scenario())
    heard = {w.name: w.received for w in walls}
    assert told, {w.name: w.errors for w in walls}  # before the fix: only one wall saw an error
    assert heard == {"A": [1, 2], "B": [1, 2], "C": [1, 2]}  # before the fix: two walls stuck at [1]


def test_a_socket_busy_while_redis_restarted_is_told_on_its_next_receive(redis):
    """A consumer busy with its last message when the loss came (not waiting in receive()) learns of
    it when it asks for the next one, instead of waiting on a group that no longer names it."""

    async def scenario():
        layer = layer_of_settings(redis.url)
        waiting, busy = await layer.new_channel(), await layer.new_channel()
        for channel in (waiting, busy):
            await layer.group_add(GROUP, channel)
        receiving = asyncio.create_task(layer.receive(waiting))
        await asyncio.sleep(0.3)
        redis.stop()  # between two turns of the loop, as above
        redis.start()
        with pytest.raises(RedisConnectionError):
            await asyncio.wait_for(receiving, 3)
        try:
            with pytest.raises(ChannelLayerConnectionLost):  # before the fix: waited for ever
                await asyncio.wait_for(layer.receive(busy), 3)
        finally:
            await layer.close_pools()

    asyncio.run(scenario())


def test_a_redis_stall_shorter_than_two_read_timeouts_costs_no_socket(redis):
    """A read that times out once (Redis or the loop stalled) is retried on a fresh connection; a
    push made after the stall arrives on the same socket."""

    async def scenario():
        layer = layer_of_settings(redis.url, socket_timeout=1)
        wall = Wall("city", layer)
        task = asyncio.create_task(wall.run())
        assert await until(wall.joined.is_set, 5)
        await asyncio.sleep(0.3)
        await asyncio.to_thread(redis.pause, 1.2)  # every read in flight times out (1 s), the retry does not
        await layer.group_send(GROUP, {"type": "maps.event", "n": 1})
        assert await until(lambda: wall.received, 3)
        task.cancel()
        await layer.close_pools()
        return wall

    wall = asyncio.run(scenario())
    assert wall.received == [1]
    assert wall.errors == []


def test_the_settings_use_it_whenever_redis_url_is_set():
    code = "from django.conf import settings; import json; print(json.dumps(settings.CHANNEL_LAYERS))"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "REDIS_URL": "redis://127.0.0.1:1/0"}
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    layers = json.loads(out.stdout.strip().splitlines()[-1])
    assert layers["default"]["BACKEND"] == "core.channel_layer.RedisChannelLayer"
