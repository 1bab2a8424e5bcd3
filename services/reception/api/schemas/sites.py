"""Sites: name, time zone, rates, opening hours, slots, comeback window."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from services.reception.api.schemas.common import Amount, Input, Name, TaxRate, Timed
from services.reception.domain.slots import parse_hhmm

SiteId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]


class OpeningHoursIn(Input):
    """One weekday's opening (0 = Monday), site local 'HH:MM'."""

    weekday: int = Field(ge=0, le=6)
    opens: str
    closes: str

    @model_validator(mode="after")
    def _times(self) -> OpeningHoursIn:
        if parse_hhmm(self.opens) >= parse_hhmm(self.closes):
            raise ValueError(f"weekday {self.weekday}: opens {self.opens} must be before closes {self.closes}")
        return self


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from exc
    return value


def _check_days(value: list[OpeningHoursIn]) -> list[OpeningHoursIn]:
    days = [h.weekday for h in value]
    if len(days) != len(set(days)):
        raise ValueError("each weekday may appear once")
    return sorted(value, key=lambda h: h.weekday)


VIN_CHECK_DIGIT = (
    "the market requires the VIN check digit at position 9 (North America, China); where it does not (Europe, Japan) "
    "a VIN is 17 characters of the VIN alphabet"
)


class SiteFields(Timed):
    """Everything a site is configured with."""

    name: Name
    time_zone: str = Field(description="IANA time zone, e.g. Asia/Shanghai")
    labour_rate: Amount = Field(description="default labour rate per sold hour")
    technician_cost_rate: Amount = Field(description="flat-rate technician pay per sold hour (for margin)")
    tax_rate: TaxRate
    opening_hours: list[OpeningHoursIn] = Field(min_length=1)
    slot_minutes: int = Field(default=30, ge=5, le=480)
    slot_capacity: int = Field(default=4, ge=0, le=200, description="appointments per standard slot")
    quick_lane_capacity: int = Field(default=2, ge=0, le=200, description="appointments per quick-service slot")
    comeback_window_days: int = Field(default=30, ge=1, le=366)
    follow_up_due_days: int = Field(
        default=3, ge=0, le=60, description="days after delivery a follow-up call falls due"
    )
    vin_check_digit: bool = Field(default=True, description=VIN_CHECK_DIGIT)
    arrival_early_minutes: int = Field(
        default=120, ge=0, le=1440, description="how long before its slot a booked car is checked in"
    )
    arrival_late_minutes: int = Field(
        default=60, ge=0, le=1440, description="how long after its slot a booked car is still checked in"
    )

    _zone = field_validator("time_zone")(_check_zone)
    _days = field_validator("opening_hours")(_check_days)


class SiteCreate(SiteFields):
    """A new site."""

    site_id: SiteId


class SiteUpdate(SiteFields):
    """A site's whole configuration (PUT)."""


class SitePatch(Timed):
    """Some of a site's configuration (PATCH)."""

    name: Name | None = None
    time_zone: str | None = None
    labour_rate: Amount | None = None
    technician_cost_rate: Amount | None = None
    tax_rate: TaxRate | None = None
    opening_hours: list[OpeningHoursIn] | None = Field(default=None, min_length=1)
    slot_minutes: int | None = Field(default=None, ge=5, le=480)
    slot_capacity: int | None = Field(default=None, ge=0, le=200)
    quick_lane_capacity: int | None = Field(default=None, ge=0, le=200)
    comeback_window_days: int | None = Field(default=None, ge=1, le=366)
    follow_up_due_days: int | None = Field(default=None, ge=0, le=60)
    vin_check_digit: bool | None = Field(default=None, description=VIN_CHECK_DIGIT)
    arrival_early_minutes: int | None = Field(default=None, ge=0, le=1440)
    arrival_late_minutes: int | None = Field(default=None, ge=0, le=1440)

    _zone = field_validator("time_zone")(lambda v: v if v is None else _check_zone(v))
    _days = field_validator("opening_hours")(lambda v: v if v is None else _check_days(v))


class OpeningHoursRead(BaseModel):
    weekday: int
    opens: str
    closes: str


class SiteRead(BaseModel):
    site_id: str
    name: str
    time_zone: str
    labour_rate: Decimal
    technician_cost_rate: Decimal
    tax_rate: Decimal
    opening_hours: list[OpeningHoursRead]
    slot_minutes: int
    slot_capacity: int
    quick_lane_capacity: int
    comeback_window_days: int
    follow_up_due_days: int
    vin_check_digit: bool
    arrival_early_minutes: int
    arrival_late_minutes: int
    version: int
    updated_at: datetime
