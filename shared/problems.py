"""RFC 9457 problem details for every error a service returns."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db import database_down
from shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IllegalTransition,
    NotFound,
    Unauthenticated,
    not_found,
)

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("pitwall.errors")
__all__ = [
    "PROBLEM_JSON",
    "Problem",
    "ProblemError",
    "conflict",
    "install_problem_handlers",
    "not_found",
    "problem_response",
]


class Problem(BaseModel):
    """The body of every 4xx/5xx answer."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": text}
    for code, text in {
        400: "Bad request",
        401: "Missing or invalid bearer token",
        403: "The token's role or sites do not allow this",
        404: "Not found (or not visible to this token)",
        409: "Conflict with the current state",
        412: "The resource changed since it was read (stale ETag)",
        413: "Request body too large",
        422: "Invalid input",
        500: "Internal error",
        503: "The database cannot be reached; nothing was saved (Retry-After)",
    }.items()
}


class ProblemError(Exception):
    """Raise in the HTTP layer (headers, tokens, paging) to answer with a problem document; rules raise DomainError."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.headers = headers
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.extensions = extensions


def conflict(detail: str, *, state: str, allowed: list[str]) -> IllegalTransition:
    """An illegal state transition (409), with the current state and the allowed steps."""
    return IllegalTransition(detail, state=state, allowed=allowed)


STATUS_OF: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (Conflict, 409),
    (DomainError, 422),
)
"""The HTTP status of each kind of domain error, most specific kind first."""


def status_of(error: DomainError) -> int:
    """The HTTP status a domain error is answered with."""
    return next(status for kind, status in STATUS_OF if isinstance(error, kind))


def problem_response(
    status: int,
    title: str,
    detail: str | None,
    instance: str,
    *,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A JSONResponse holding a problem document."""
    body = {"type": type_, "title": title, "status": status, "instance": instance}
    if detail is not None:
        body["detail"] = detail
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    """Turn every raised error into problem+json."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(
            status_of(exc), exc.title, exc.detail, request.url.path, type_=exc.type_, **exc.extensions
        )

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status, exc.title, exc.detail, request.url.path, type_=exc.type, headers=exc.headers, **exc.extensions
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed(request)}
        return problem_response(
            exc.status_code,
            _title(exc.status_code),
            str(exc.detail) if exc.detail else None,
            request.url.path,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
        return problem_response(
            422, "Invalid input", detail, request.url.path, type_="/problems/validation", errors=errors
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return _internal_error(request.url.path)


class UnexpectedErrors:
    """ASGI middleware answering an unexpected error with a 500 problem itself, so the connection stays usable.

    Starlette's outermost handler answers too, then re-raises, and the server drops the kept-alive connection without
    `Connection: close`: the client's next, unrelated request on it failed with a reset.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, receive, watching_send)
        except Exception as exc:
            if started:  # half an answer is out: only closing the connection can tell the client
                raise
            if database_down(exc):  # nothing was committed; the pool reconnects once the database is back
                log.warning("database unavailable on %s: %s", scope["path"], exc)
                await problem_response(
                    503,
                    "Database unavailable",
                    "the database cannot be reached; nothing was saved, try again",
                    scope["path"],
                    type_="/problems/database-unavailable",
                    headers={"Retry-After": "5"},
                )(scope, receive, send)
                return
            log.exception("unhandled error on %s", scope["path"])
            await _internal_error(scope["path"])(scope, receive, send)


def _internal_error(path: str) -> JSONResponse:
    return problem_response(500, "Internal error", "an unexpected error occurred; nothing was saved", path)


def _allowed(request: Request) -> str:
    """Every method the path serves (the router names only those of the first route matching it), documented or not."""
    table = getattr(request.app.state, "methods_by_path", None)
    if table is None:
        table = [
            (compile_path(path)[0], {method.upper() for method in operations})
            for path, operations in request.app.openapi()["paths"].items()
        ]
        table += [
            (route.path_regex, set(route.methods))
            for route in request.app.routes  # /docs, /openapi.json, ...
            if getattr(route, "methods", None) and not getattr(route, "include_in_schema", True)
        ]
        request.app.state.methods_by_path = table
    methods: set[str] = set().union(*(methods for pattern, methods in table if pattern.match(request.url.path)))
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
