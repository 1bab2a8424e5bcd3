"""Customers and their vehicles."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from services.reception.api.schemas.common import Mileage, Name, Timed
from services.reception.domain.vin import validate_vin

_PHONE = re.compile(r"^\+?[0-9 ()-]{5,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def phone_digits(phone: str) -> str:
    """A phone number as searched: digits only."""
    return re.sub(r"[^0-9]", "", phone)


def _phone(value: str) -> str:
    value = value.strip()
    if not _PHONE.match(value) or not 5 <= len(phone_digits(value)) <= 20:
        raise ValueError("phone must be 5 to 20 digits, optionally with +, spaces, dashes or brackets")
    return value


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not _EMAIL.match(value) or len(value) > 200:
        raise ValueError("e-mail address is not valid")
    return value


def plate_key(plate: str) -> str:
    """A plate as searched: upper case, no spaces, dots or dashes."""
    return re.sub(r"[\s.·-]", "", plate).upper()


def _plate(value: str) -> str:
    value = " ".join(value.split()).upper()
    if not 1 <= len(plate_key(value)) <= 12:
        raise ValueError("plate must have 1 to 12 characters besides spaces and dashes")
    return value


Phone = Annotated[str, AfterValidator(_phone)]
Email = Annotated[str | None, AfterValidator(_email)]
Vin = Annotated[
    str,
    AfterValidator(validate_vin),
    Field(description="17 characters, no I/O/Q; the check digit at position 9 where the site's market requires it"),
]
Plate = Annotated[str, AfterValidator(_plate)]
Year = Annotated[int, Field(ge=1950, le=2100)]


class CustomerCreate(Timed):
    name: Name
    phone: Phone
    email: Email = None
    consent_contact: bool = False
    consent_marketing: bool = False


class CustomerPatch(Timed):
    name: Name | None = None
    phone: Phone | None = None
    email: Email = None
    consent_contact: bool | None = None
    consent_marketing: bool | None = None


class CustomerRead(BaseModel):
    id: str
    site_id: str
    name: str
    phone: str
    email: str | None
    consent_contact: bool
    consent_marketing: bool
    version: int
    created_at: datetime
    updated_at: datetime


class VehicleCreate(Timed):
    vin: Vin
    plate: Plate
    make: Name
    model: Name
    year: Year
    mileage: Mileage = 0
    customer_id: str | None = None


class VehiclePatch(Timed):
    vin: Vin | None = None
    plate: Plate | None = None
    make: Name | None = None
    model: Name | None = None
    year: Year | None = None
    mileage: Mileage | None = None
    odometer_correction_reason: Name | None = Field(
        None, description="why the mileage goes down: required to lower it (an odometer only goes back as a correction)"
    )
    customer_id: str | None = None


class VehicleRead(BaseModel):
    id: str
    site_id: str
    vin: str
    plate: str
    make: str
    model: str
    year: int
    mileage: int
    customer_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime
