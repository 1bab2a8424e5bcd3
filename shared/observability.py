"""Per-app Prometheus registry, request timing and request ids."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logs import request_id_var

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""The HTTP methods counted by name; any other a client invents is counted as `other` (one series, not one per name)."""


async def render(registry: CollectorRegistry) -> bytes:
    """The registry in Prometheus text format, rendered in a worker thread: a large one must not hold up the loop."""
    return await asyncio.to_thread(generate_latest, registry)


class RequestMetrics:
    """ASGI middleware timing every request by route template, and tagging it with a request id."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry, service: str) -> None:
        self._app = app
        self._service = service
        self._histogram = Histogram(
            "pitwall_http_request_duration_seconds",
            "HTTP request duration",
            ["service", "method", "route", "status"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self._app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope["method"] if scope["method"] in METHODS else "other"
            self._histogram.labels(self._service, method, template, str(status)).observe(time.perf_counter() - started)
            request_id_var.reset(token)


class BodyLimit:
    """ASGI middleware refusing bodies larger than the limit with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self._app = app
        self._max = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        detail = f"request bodies are limited to {self._max} bytes"
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self._max:
            from shared.problems import problem_response

            await problem_response(413, "Payload too large", detail, scope["path"])(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            # A chunked body has no length to check up front: count it as it arrives.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max:
                    raise HTTPException(413, detail)
            return message

        await self._app(scope, counting_receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def install_health(
    app: FastAPI,
    registry: CollectorRegistry,
    ready: Callable[[], Awaitable[dict[str, bool]]],
    details: Callable[[], dict[str, Any]] = dict,
) -> None:
    """/healthz (alive), /readyz (200 when every check of `ready` holds, else 503; with `details()` beside the checks) and
    /metrics (the registry, rendered off the event loop) on an app."""

    @app.get("/healthz", tags=["health"], responses={})
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "not ready"}})
    async def readyz() -> JSONResponse:
        """The process can serve requests (each check named); what it depends on but can do without is told beside."""
        checks = await ready()
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": checks, **details()}, status_code=200 if ok else 503
        )

    @app.get("/metrics", tags=["health"], response_class=Response, responses={})
    async def metrics() -> Response:
        """Prometheus metrics of this process."""
        return Response(await render(registry), media_type=CONTENT_TYPE_LATEST)
