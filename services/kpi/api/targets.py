"""Targets (yearly per site, split into months) and reference data per site and month: managers write."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.kpi.api.common import reader, writer
from services.kpi.figures.reports import INDICATORS, yearly_of
from services.kpi.schemas import ReferenceDataRead, ReferenceDataUpdate, TargetRead, TargetsRead, TargetsUpdate
from services.kpi.targets import list_reference, read_reference, read_targets, write_reference, write_targets
from shared.auth import Principal
from shared.http import check_if_match, etag
from shared.outbox import utcnow
from shared.problems import not_found
from shared.runtime import open_uow

router = APIRouter(prefix="/kpi/sites/{site_id}", tags=["targets and reference data"])
YEAR = Path(ge=2000, le=2100)
MONTH = Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")


async def _targets(session: object, site_id: str, year: int) -> TargetsRead:
    version, months = await read_targets(session, site_id, year)
    items = []
    for name, indicator in INDICATORS.items():
        values = months.get(name, [None] * 12)
        yearly = yearly_of(name, values)
        items.append(TargetRead(indicator=name, label=indicator.label, unit=indicator.unit, additive=indicator.additive,
                                yearly=None if yearly is None else float(yearly),
                                months=[None if v is None else float(v) for v in values]))
    return TargetsRead(site_id=site_id, year=year, version=version, targets=items)


@router.get("/targets")
async def get_targets(request: Request, response: Response, site_id: str,
                      year: int | None = Query(None, ge=2000, le=2100, description="default: this year"),
                      principal: Principal = Depends(reader)) -> TargetsRead:
    """Every indicator's monthly targets for a year (None where not set)."""
    principal.require_site(site_id)
    year = year or utcnow().year
    async with request.app.state.runtime.unit_of_work() as uow:
        result = await _targets(uow.session, site_id, year)
    response.headers["ETag"] = etag("targets", f"{site_id}-{year}", result.version)
    return result


@router.put("/targets/{year}")
async def put_targets(request: Request, response: Response, site_id: str, body: TargetsUpdate, year: int = YEAR,
                      principal: Principal = Depends(writer)) -> TargetsRead:
    """Set indicators' targets for a year: a yearly value split over months, or the twelve months."""
    principal.require_site(site_id)
    async with await open_uow(request, principal) as uow:
        version, _ = await read_targets(uow.session, site_id, year)
        check_if_match(request, etag("targets", f"{site_id}-{year}", version))
        await write_targets(uow.session, site_id, year, body.targets, principal.subject)
        result = await _targets(uow.session, site_id, year)
        await uow.commit(result)
    request.app.state.kpi_metrics.targets_changed(site_id)
    response.headers["ETag"] = etag("targets", f"{site_id}-{year}", result.version)
    return result


def _reference_read(row: object) -> ReferenceDataRead:
    return ReferenceDataRead.model_validate(row, from_attributes=True)


@router.get("/reference-data")
async def list_reference_data(request: Request, site_id: str,
                              year: int | None = Query(None, ge=2000, le=2100, description="default: this year"),
                              principal: Principal = Depends(reader)) -> list[ReferenceDataRead]:
    """The reference data entered for the months of a year."""
    principal.require_site(site_id)
    async with request.app.state.runtime.unit_of_work() as uow:
        rows = await list_reference(uow.session, site_id, year or utcnow().year)
    return [_reference_read(r) for r in rows]


@router.get("/reference-data/{month}")
async def get_reference_data(request: Request, response: Response, site_id: str, month: str = MONTH,
                             principal: Principal = Depends(reader)) -> ReferenceDataRead:
    """A month's vehicles in operation, headcount, leavers and vehicles due for scheduled services."""
    principal.require_site(site_id)
    async with request.app.state.runtime.unit_of_work() as uow:
        row = await read_reference(uow.session, site_id, month)
    if row is None:
        raise not_found("reference data of month", month)
    response.headers["ETag"] = etag("reference", f"{site_id}-{month}", row.version)
    return _reference_read(row)


@router.put("/reference-data/{month}")
async def put_reference_data(request: Request, response: Response, site_id: str, body: ReferenceDataUpdate,
                             month: str = MONTH, principal: Principal = Depends(writer)) -> ReferenceDataRead:
    """Enter (replace) a month's reference data."""
    principal.require_site(site_id)
    async with await open_uow(request, principal) as uow:
        current = await read_reference(uow.session, site_id, month)
        check_if_match(request, etag("reference", f"{site_id}-{month}", current.version if current else 0))
        row = await write_reference(uow.session, site_id, month, body, principal.subject)
        result = _reference_read(row)
        await uow.commit(result)
    request.app.state.kpi_metrics.targets_changed(site_id)
    response.headers["ETag"] = etag("reference", f"{site_id}-{month}", result.version)
    return result
