"""A piece the service's ASGI middlewares share."""

from __future__ import annotations


class ResponseStatus:
    """Wraps an ASGI ``send`` and remembers the status of the response it starts; 500 until one
    starts (a handler that raised before answering)."""

    def __init__(self, send):
        self.send, self.status = send, 500

    async def __call__(self, message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self.send(message)
