"""The demo site `./dev run` leaves ready: a site open around the clock, with one bay and one technician."""

from __future__ import annotations

from typing import Any

import httpx

DEMO_SITE = "demo"
DEMO_TECHNICIAN = "tech-demo"


def site_body(site_id: str) -> dict[str, Any]:
    """The demo site: open every day around the clock, so the README's walkthrough works at any hour."""
    return {
        "site_id": site_id, "name": "Pitwall Demo Motors", "time_zone": "UTC", "labour_rate": "120", "technician_cost_rate": "40",
        "tax_rate": "0.2", "opening_hours": [{"weekday": d, "opens": "00:00", "closes": "23:59"} for d in range(7)],
        "slot_minutes": 30, "slot_capacity": 4, "quick_lane_capacity": 2, "comeback_window_days": 30,
    }


def _ok(response: httpx.Response, status: int = 200) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.url} answered {response.status_code}: {response.text}")
    return response.json()


async def ensure_demo(reception: httpx.AsyncClient, workshop: httpx.AsyncClient, token: str, site_id: str = DEMO_SITE) -> None:
    """Create what the demo site lacks (the site, a bay, a technician); what exists is left as it is."""
    headers = {"Authorization": f"Bearer {token}"}
    if (await reception.get(f"/sites/{site_id}", headers=headers)).status_code == 404:
        _ok(await reception.post("/sites", headers=headers, json=site_body(site_id)), 201)
    if not (_ok(await workshop.get(f"/sites/{site_id}/bays", headers=headers)))["items"]:
        _ok(await workshop.post(f"/sites/{site_id}/bays", headers=headers, json={"name": "Bay 1", "kind": "general"}), 201)
    if not (_ok(await workshop.get(f"/sites/{site_id}/technicians", headers=headers)))["items"]:
        technician = {"id": DEMO_TECHNICIAN, "name": "Demo Technician", "skills": []}
        _ok(await workshop.post(f"/sites/{site_id}/technicians", headers=headers, json=technician), 201)


async def seed(reception_url: str, workshop_url: str, token: str) -> None:
    """`ensure_demo` against running services."""
    async with httpx.AsyncClient(base_url=reception_url, timeout=30) as reception, \
            httpx.AsyncClient(base_url=workshop_url, timeout=30) as workshop:
        await ensure_demo(reception, workshop, token)
