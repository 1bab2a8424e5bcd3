"""API model of the warranty figures."""

from __future__ import annotations

from pydantic import Field

from services.kpi.schemas import AreaRead


class WarrantyRead(AreaRead):
    claims_by_status: dict[str, int] = Field(description="claims by their current status, now (whatever the window)")
