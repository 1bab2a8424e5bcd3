"""Reading a site's warranty claims: counts by status, the claims awaiting money, those with a step in a range."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import String, and_, bindparam, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from services.kpi.facts import dt, ts
from services.kpi.warranty.figures import RECEIVABLE, Claim, WarrantyFacts
from services.kpi.warranty.tables import WarrantyClaimFact
from shared.db import UtcDateTime

SITE = bindparam("site", type_=String())
LO, HI = bindparam("lo", type_=UtcDateTime()), bindparam("hi", type_=UtcDateTime())


@cache
def _statements() -> dict[str, Any]:
    """The statements of a read, built once on bound parameters (:site, :lo, :hi)."""
    claim = WarrantyClaimFact.__table__  # type: ignore[attr-defined]
    columns = [claim.c[name] for name in ("claim_id", "status", "repaired_at", "claimed_amount", "approved_amount",
                                          "first_submitted_at", "first_submitted_amount", "decided_at", "decision", "paid_at",
                                          "paid_at_amount")]
    within = [and_(column >= LO, column < HI) for column in (claim.c.first_submitted_at, claim.c.decided_at, claim.c.paid_at)]
    return {
        "by_status": select(claim.c.status, func.count()).where(claim.c.site_id == SITE, claim.c.status.is_not(None))
        .group_by(claim.c.status),
        "awaiting": select(*columns).where(claim.c.site_id == SITE, claim.c.status.in_(sorted(RECEIVABLE))),
        "claims": select(*columns).where(claim.c.site_id == SITE, or_(*within)),
    }


def _claim(row: Any) -> Claim:
    return Claim(row["claim_id"], row["status"], ts(row["repaired_at"]), row["claimed_amount"], row["approved_amount"],
                 ts(row["first_submitted_at"]), row["first_submitted_amount"], ts(row["decided_at"]), row["decision"],
                 ts(row["paid_at"]), row["paid_at_amount"])


def from_rows(rows: dict[str, list[Any]]) -> WarrantyFacts:
    """The warranty facts from the rows each statement read."""
    return WarrantyFacts({status: int(count) for status, count in rows["by_status"]},
                         [_claim(r) for r in rows["awaiting"]], [_claim(r) for r in rows["claims"]])


async def load(conn: AsyncConnection, site_id: str, start: float, end: float) -> WarrantyFacts:
    """Every claim's status now, the claims awaiting the OEM's money, and those submitted, decided or paid in [start, end)."""
    return await conn.run_sync(load_sync, site_id, start, end)


def load_sync(conn: Connection, site_id: str, start: float, end: float) -> WarrantyFacts:
    """`load` on a synchronous connection (the figures' worker process)."""
    params = {"site": site_id, "lo": dt(start), "hi": dt(end)}
    rows = {}
    for name, statement in _statements().items():
        result = conn.execute(statement, params)
        rows[name] = list(result.all() if name == "by_status" else result.mappings().all())
    return from_rows(rows)
