"""Integration events the parts service acts on: the workshop's parts requests."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from services.parts.domain import Origin
from services.parts.usecases.requests import WantedLine, accept_request
from shared.clock import Actor
from shared.contracts.base import Event
from shared.contracts.workshop import PartsRequested
from shared.uow import UnitOfWork

log = logging.getLogger("pitwall.parts")


async def on_parts_requested(uow: UnitOfWork, event: PartsRequested) -> None:
    """A technician asked for parts: accept the request once (its id is the dedupe key)."""
    request = await accept_request(
        uow,
        site_id=event.site_id,
        request_id=event.request_id,
        origin=Origin.WORKSHOP,
        repair_order_id=event.repair_order_id,
        job_id=event.job_id,
        requested_by=event.requested_by,
        actor=Actor(event.requested_by, event.occurred_at),
        lines=[WantedLine(line.part_number, line.quantity) for line in event.lines],
    )
    if request.site_id != event.site_id:
        log.warning(
            "request id %s of site %s is already used by site %s; ignored",
            event.request_id,
            event.site_id,
            request.site_id,
        )


HANDLERS: dict[type[Event], Callable[[UnitOfWork, Any], Awaitable[None]]] = {PartsRequested: on_parts_requested}
