"""How many HTTP requests a web process runs in Django at once (settings.HTTP_CONCURRENCY).

Under ASGI, Django runs each request's sync middleware and view in a thread of its own
(asgiref's ThreadSensitiveContext): nothing bounds how many run at once. Under a load the
process cannot keep up with, hundreds of threads then share one GIL, each request takes
as long as all of them together, it holds its pooled database connection that long, and
the requests waiting for a connection run out the pool's timeout: a 503 for a database
that was up, only busy (the first soak, bench/RESULTS.md). Here the requests beyond the
limit wait on the event loop, in arrival order, before Django sees them: a few threads
run at full speed and hand their connections back quickly, the pool's wait is only ever
for a database that is really down, and an overload is answered late, not refused.
WebSockets are not counted (a socket lives for hours; its work is on the event loop).
"""

from __future__ import annotations

import asyncio


class ConcurrencyLimit:
    """ASGI middleware: at most `limit` HTTP requests inside `app` at once, the rest queued (FIFO)."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit
        self.waiting = 0
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.limit <= 0:
            return await self.app(scope, receive, send)
        if self._slots is None:  # made on the serving loop
            self._slots = asyncio.Semaphore(self.limit)
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        try:
            return await self.app(scope, receive, send)
        finally:
            self._slots.release()
