"""ASGI entry point: HTTP through Django, WebSockets through Channels (daphne)."""

import os
import threading

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from console.routing import websocket_urlpatterns as console_websockets  # noqa: E402
from core.asgi_limit import ConcurrencyLimit  # noqa: E402
from core.ws_auth import AuthMiddlewareStack  # noqa: E402
from maps.routing import websocket_urlpatterns  # noqa: E402


def warm_up() -> None:
    """Build the process's in-memory indexes (routing table, grid and gazetteer indexes, classifier)
    as it starts, not in its first requests: the first intake or suggestion built the gazetteer index
    (seconds on a loaded machine) while every other request that needed it waited holding its pooled
    connection and one of the HTTP_CONCURRENCY slots. In a thread: the port opens at once."""
    import logging

    from django.db import connections

    from classify.services import current_model
    from dispatch.routing import routing_table
    from geo.index import gazetteer_index
    from grid.index import locate_index

    try:
        for build in (routing_table, locate_index, gazetteer_index, current_model):
            build()
    except Exception:  # a database not up yet: the first request builds it instead
        logging.getLogger(__name__).warning("warm-up failed", exc_info=True)
    finally:
        connections.close_all()


if settings.WARM_UP:
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()

application = ProtocolTypeRouter(
    {
        # At most HTTP_CONCURRENCY requests in Django at once, the rest queued (core.asgi_limit).
        "http": ConcurrencyLimit(django_asgi_app, settings.HTTP_CONCURRENCY),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns + console_websockets))
        ),
    }
)
