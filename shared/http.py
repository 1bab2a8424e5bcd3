"""Small HTTP conventions shared by every API: pages, ETags and device event times."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Body, FastAPI, Query, Request
from pydantic import BaseModel

from shared.auth import Principal, Role
from shared.clock import utcnow
from shared.problems import ProblemError
from shared.settings import ServiceSettings
from shared.uow import Idempotency

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    """Where a page starts and how long it is."""

    limit: int
    offset: int


PAGE_SIZE = "page size (at most the service's max page size)"


def page_params(
    request: Request,
    limit: int = Query(50, ge=1, description=PAGE_SIZE),
    offset: int = Query(0, ge=0, le=1_000_000_000),
) -> PageParams:
    """Validated paging parameters."""
    maximum = request.app.state.settings.max_page_size
    if limit > maximum:
        raise ProblemError(422, "Page too large", f"limit must be at most {maximum}", type_="/problems/validation")
    return PageParams(limit=limit, offset=offset)


def declare_page_size(app: FastAPI) -> None:
    """Write the service's max page size into its OpenAPI document (a setting, so no `Query` can declare it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            for operations in build()["paths"].values():
                for operation in operations.values():
                    for parameter in operation.get("parameters", []):
                        if (
                            parameter["in"] == "query"
                            and parameter["name"] == "limit"
                            and parameter.get("description") == PAGE_SIZE
                        ):
                            parameter["schema"]["maximum"] = app.state.settings.max_page_size
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def etag(kind: str, ident: str, version: int) -> str:
    """A strong ETag for a versioned resource."""
    return f'"{kind}-{ident}-{version}"'


def check_if_match(request: Request, current: str) -> None:
    """Refuse (412) an update made against a stale copy."""
    sent = request.headers.get("if-match")
    if sent is None or sent.strip() == "*":
        return
    if current not in [tag.strip() for tag in sent.split(",")]:
        raise ProblemError(
            412,
            "Precondition failed",
            "the resource changed since you read it; reload and try again",
            type_="/problems/stale-etag",
            current_etag=current,
        )


def event_time(value: datetime | None, principal: Principal, settings: ServiceSettings) -> datetime:
    """When a device says it happened: now if not given; not in the future, not too old (managers may backdate)."""
    now = utcnow()
    if value is None:
        return now
    if value.tzinfo is None:
        raise ProblemError(
            422, "Invalid occurred_at", "occurred_at must carry a time zone", type_="/problems/validation"
        )
    if value - now > timedelta(seconds=settings.max_clock_skew_seconds):
        raise ProblemError(422, "Invalid occurred_at", "occurred_at is in the future", type_="/problems/validation")
    if now - value > timedelta(hours=settings.max_backdate_hours) and not principal.has_any([Role.MANAGER]):
        raise ProblemError(
            422,
            "Invalid occurred_at",
            f"occurred_at is more than {settings.max_backdate_hours} hours old; a manager must correct it",
            type_="/problems/validation",
        )
    return value


def optional_body(model: type[BaseModel]) -> Any:
    """The type of a request body whose every field is optional: a request without a body means all defaults."""
    return Annotated[model, Body(default_factory=model)]


async def idempotency_of(request: Request, principal: Principal) -> Idempotency | None:
    """The idempotency of a POST carrying an Idempotency-Key header: the caller, the key, the request's fingerprint."""
    key = request.headers.get("idempotency-key")
    if request.method != "POST" or not key:
        return None
    if len(key) > 200:
        raise ProblemError(422, "Invalid Idempotency-Key", "Idempotency-Key is longer than 200 characters")
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.url.path.encode() + b"\n")
    digest.update(await request.body())
    return Idempotency(principal.subject, key, digest.hexdigest())
