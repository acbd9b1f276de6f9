"""WebSocket routes of the live maps."""

from django.urls import path

from .consumers import WallConsumer

websocket_urlpatterns: list = [
    path("ws/maps/live/", WallConsumer.as_asgi()),
]
