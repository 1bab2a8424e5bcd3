"""Configuring a site; every change is told to the other services as SiteConfigured."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.reception.adapters.store import changed
from services.reception.adapters.tables import Site
from services.reception.api.schemas.sites import SiteCreate, SitePatch, SiteUpdate
from services.reception.domain.slots import Schedule
from shared.contracts.reception import OpeningHours, SiteConfigured
from shared.errors import Conflict
from shared.uow import UnitOfWork

_CONFIG = (
    "name",
    "time_zone",
    "labour_rate",
    "technician_cost_rate",
    "tax_rate",
    "opening_hours",
    "slot_minutes",
    "slot_capacity",
    "quick_lane_capacity",
    "comeback_window_days",
    "follow_up_due_days",
    "vin_check_digit",
    "arrival_early_minutes",
    "arrival_late_minutes",
)


def _values(body: SiteCreate | SiteUpdate | SitePatch, fields: set[str]) -> dict[str, Any]:
    values = {key: getattr(body, key) for key in _CONFIG if key in fields and getattr(body, key) is not None}
    if "opening_hours" in values:
        values["opening_hours"] = [h.model_dump() for h in values["opening_hours"]]
    return values


def schedule_of(site: Site) -> Schedule:
    """The site's appointment schedule."""
    return Schedule(
        site.time_zone, {h["weekday"]: (h["opens"], h["closes"]) for h in site.opening_hours}, site.slot_minutes
    )


def configured(site: Site, at: datetime) -> SiteConfigured:
    """The SiteConfigured event for the site as it now is."""
    return SiteConfigured(
        site_id=site.site_id,
        occurred_at=at,
        name=site.name,
        time_zone=site.time_zone,
        opening_hours=[OpeningHours(**h) for h in site.opening_hours],
        labour_rate=site.labour_rate,
        technician_cost_rate=site.technician_cost_rate,
        tax_rate=site.tax_rate,
        comeback_window_days=site.comeback_window_days,
    )


async def create_site(uow: UnitOfWork, body: SiteCreate, at: datetime) -> Site:
    """Create a site (409 if the id is taken)."""
    if await uow.session.get(Site, body.site_id) is not None:
        raise Conflict(f"site {body.site_id!r} already exists; change it with PUT or PATCH /sites/{body.site_id}")
    site = Site(site_id=body.site_id, created_at=at, updated_at=at, **_values(body, set(_CONFIG)))
    uow.session.add(site)
    await uow.publish(configured(site, at))
    return site


async def change_site(uow: UnitOfWork, site: Site, body: SiteUpdate | SitePatch, at: datetime) -> Site:
    """Apply a whole (PUT) or partial (PATCH) change; publishes only when something changed."""
    fields = set(_CONFIG) if isinstance(body, SiteUpdate) else body.model_fields_set
    values = _values(body, fields)
    if changed(site, values):
        site.version += 1
        site.updated_at = at
        await uow.publish(configured(site, at))
    return site
