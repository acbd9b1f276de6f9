"""WebSocket routes of the live maps."""

websocket_urlpatterns: list = []
