"""API models of the kpi service: figures with their definitions, reports, targets and reference data."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.kpi.figures.reports import INDICATORS
from shared.types import Input


class KpiSiteRead(BaseModel):
    site_id: str
    name: str | None = Field(description="None until the site's configuration (SiteConfigured) arrives")
    time_zone: str | None
    configured: bool = Field(description="whether its configuration arrived (figures use its time zone and opening hours)")


class WindowRead(BaseModel):
    kind: str = Field(description="today | rolling_hour | month_to_date | month | range")
    start: datetime
    end: datetime
    time_zone: str
    as_of: datetime = Field(description="states (WIP, open backorders) are read here; open intervals run to it")


class FigureRead(BaseModel):
    name: str
    value: float | None = Field(description="None when undefined (a ratio over nothing)")
    unit: str
    formula: str
    window: WindowRead
    provisional: bool = Field(False, description="sold hours not yet restated by an invoice")
    labels: dict[str, str] = Field(default_factory=dict, description="technician, bay, state, pay_type or ro_type")


class WaitRead(BaseModel):
    name: str
    kind: str
    unit: str = "seconds"
    formula: str
    window: WindowRead
    count: int
    sum: float
    p50: float | None
    p90: float | None
    max: float | None


class AreaRead(BaseModel):
    site_id: str
    window: WindowRead
    figures: list[FigureRead]
    waits: list[WaitRead] = Field(default_factory=list)
    names: dict[str, str] = Field(default_factory=dict, description="display names of the technicians or bays listed")


class SummaryRead(BaseModel):
    site_id: str
    windows: list[AreaRead]


class RadarItemRead(BaseModel):
    number: int
    indicator: str
    label: str
    value: float | None
    unit: str
    formula: str
    target: float | None
    ratio: float | None = Field(description="value ÷ target, or target ÷ value where lower is better")
    better: str
    missing_reference_data: list[str] = Field(default_factory=list)


class RadarRead(BaseModel):
    site_id: str
    month: str
    window: WindowRead
    items: list[RadarItemRead]


class MsiItemRead(BaseModel):
    indicator: str
    label: str
    unit: str
    formula: str
    actual: float | None
    target: float | None
    achievement_rate: float | None
    last_year: float | None


class MsiRead(BaseModel):
    site_id: str
    month: str
    window: WindowRead
    last_year_window: WindowRead
    items: list[MsiItemRead]


class TargetInput(Input):
    """One indicator's target for the year: a yearly value (split over months) or the twelve months."""

    indicator: str = Field(json_schema_extra={"enum": sorted(INDICATORS)}, description="one of the known indicators")
    yearly: Decimal | None = Field(None, ge=0)
    weights: list[Decimal] | None = Field(None, min_length=12, max_length=12,
                                          description="how a yearly count or amount splits over months (default equal)")
    months: list[Decimal] | None = Field(None, min_length=12, max_length=12)

    @model_validator(mode="after")
    def _check(self) -> TargetInput:
        if self.indicator not in INDICATORS:
            raise ValueError(f"unknown indicator {self.indicator!r}; known: {', '.join(sorted(INDICATORS))}")
        if (self.yearly is None) == (self.months is None):
            raise ValueError("give either yearly or months")
        if self.weights is not None:
            if self.yearly is None or not INDICATORS[self.indicator].additive:
                raise ValueError("weights split a yearly count or amount; this indicator is a rate or months were given")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be non-negative with a positive sum")
        if self.months is not None and any(v < 0 for v in self.months):
            raise ValueError("monthly targets must be non-negative")
        return self


class TargetsUpdate(Input):
    """Targets of some indicators for a year."""

    targets: list[TargetInput] = Field(min_length=1)


class TargetRead(BaseModel):
    indicator: str
    label: str
    unit: str
    additive: bool
    yearly: float | None = Field(description="the months' sum for counts and amounts, their mean for rates")
    months: list[float | None]


class TargetsRead(BaseModel):
    site_id: str
    year: int
    version: int
    targets: list[TargetRead]


class ReferenceDataUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vehicles_in_operation: int | None = Field(None, strict=True, ge=0, le=100_000_000, description="保有台数")
    service_headcount: int | None = Field(None, strict=True, ge=0, le=100_000_000)
    leavers: int | None = Field(None, strict=True, ge=0, le=100_000_000)
    vehicles_due_free_inspection: int | None = Field(None, strict=True, ge=0, le=100_000_000)
    vehicles_due_paid_maintenance: int | None = Field(None, strict=True, ge=0, le=100_000_000)


class ReferenceDataRead(ReferenceDataUpdate):
    model_config = ConfigDict(extra="ignore")

    site_id: str
    month: str
    version: int
    updated_at: datetime | None = None
    updated_by: str | None = None
