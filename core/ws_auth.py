"""The WebSocket handshake's login: channels' AuthMiddlewareStack, with the session and user read on
a few threads of their own instead of Channels' one database thread.

A handshake reads the session and the user (with the office, grid.backends) from PostgreSQL: three
round trips with the pool's connection check. On Channels' one database thread those queue one
after another, behind the sockets' scope queries; when a thousand walls (re)connect at once — after
a deploy or a Redis failover — the queue grew past daphne's 5 s handshake timeout and daphne
rejected most of them, and the walls retrying made it longer (issue 17, item 7: 22 of 1,000
sockets connected on a loaded machine). The round trips mostly wait on PostgreSQL, so a few
threads overlap them. Each thread takes a pooled connection for the lookup and gives it back.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from channels.auth import AuthMiddleware, get_user
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.db import close_old_connections

# Few: each holds a pooled connection (DB_POOL_MAX, 20 by default) only while it looks a login up.
LOGIN_THREADS = 4
_executor = ThreadPoolExecutor(max_workers=LOGIN_THREADS, thread_name_prefix="ws-login")


def _user_of(scope):
    close_old_connections()
    try:
        return get_user.func(scope)  # channels' own lookup (session, backend, session hash), unwrapped
    finally:
        close_old_connections()


_user_of_async = sync_to_async(_user_of, thread_sensitive=False, executor=_executor)


class ConcurrentAuthMiddleware(AuthMiddleware):
    async def resolve_scope(self, scope):
        scope["user"]._wrapped = await _user_of_async(scope)


def AuthMiddlewareStack(inner):  # noqa: N802 (channels' name)
    return CookieMiddleware(SessionMiddleware(ConcurrentAuthMiddleware(inner)))
