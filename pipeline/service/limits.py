"""Refuse an oversized request body before it is read into memory.

A declared ``Content-Length`` over the limit is answered 413 at once; a body that streams in
without one is counted as it arrives and cut off once it passes the limit. Either way memory
per request stays bounded whatever a client sends.
"""

from __future__ import annotations

import json

from pipeline.service.errors import error_body


def _mb(n: int) -> str:
    return f"{n / 1_048_576:.1f} MiB"


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app, max_body: int):
        self.app, self.max_body = app, max_body

    async def _refuse(self, send, size: str) -> None:
        body = json.dumps(error_body("body_too_large", f"request body {size} is over the "
                                     f"{_mb(self.max_body)} limit")).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return await self._refuse(send, f"of {_mb(int(declared))}")
        seen = 0
        refused = False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge
            return message

        async def guarded_send(message):
            # The app may turn _TooLarge into its own error reply (FastAPI answers a failed
            # body parse with 400): answer 413 instead and drop the app's reply.
            nonlocal refused
            if seen <= self.max_body:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(send, f"over {_mb(seen)} (streamed)")

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _TooLarge:
            if not refused:
                refused = True
                await self._refuse(send, f"over {_mb(seen)} (streamed)")
