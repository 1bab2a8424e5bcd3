"""Request bodies for the security cases: one each write route accepts, and fields no caller may set."""

from __future__ import annotations

from typing import Any

LINE = {"op_code": "BRK01", "description": "front pads", "sold_hours": "1.5"}
SLOT = "2030-01-07T09:00:00+00:00"
SITE = {"name": "Other 4S", "time_zone": "UTC", "labour_rate": "300", "technician_cost_rate": "80", "tax_rate": "0.13",
        "opening_hours": [{"weekday": d, "opens": "08:00", "closes": "18:00"} for d in range(7)]}
# A body each write route accepts, so the answer is about the object or site, not the input ({} when the route takes that).
BODIES: dict[str, dict[str, Any]] = {
    "POST /sites/{site_id}/parts": {"part_number": "X-1", "description": "x", "unit_cost": "1", "unit_price": "2"},
    "POST /sites/{site_id}/parts-requests": {"lines": [{"part_number": "FZ-OIL-1", "quantity": "1"}]},
    "POST /sites/{site_id}/receipts": {"lines": [{"part_number": "FZ-OIL-1", "quantity": "1"}]},
    "POST /sites/{site_id}/counts": {"lines": [{"part_number": "FZ-OIL-1", "counted_quantity": "1"}]},
    "POST /sites/{site_id}/bays": {"name": "Bay X", "kind": "general"},
    "POST /sites/{site_id}/technicians": {"name": "Xu"},
    "POST /sites/{site_id}/clocking-adjustments": {"interval_id": "x", "corrected_start": "2026-01-01T08:00:00+00:00",
                                                   "reason": "forgot to clock"},
    "PUT /sites/{site_id}": SITE,
    "POST /sites/{site_id}/customers": {"name": "Li Na", "phone": "+86 139 0000 0000"},
    "POST /sites/{site_id}/vehicles": {"vin": "1HGCM82633A004352", "plate": "沪B54321", "make": "Buick", "model": "GL8",
                                       "year": 2022},
    "POST /sites/{site_id}/appointments": {"customer_id": "x", "vehicle_id": "x", "slot_start": SLOT},
    "POST /sites/{site_id}/repair-orders": {"visit_id": "x", "mileage_in": 1, "ro_type": "general_repair"},
    "POST /sites/{site_id}/complaints": {"category": "price", "severity": "low", "owner": "advisor-amy"},
    "POST /repair-orders/{repair_order_id}/follow-up-attempts": {"channel": "phone"},
    "POST /complaints/{complaint_id}/actions": {"action": "called back"},
    "POST /complaints/{complaint_id}/comeback": {"repair_order_id": "x"},
    "POST /complaints/{complaint_id}/resolve": {"outcome": "refund"},
    "PUT /kpi/sites/{site_id}/targets/{year}": {"targets": [{"indicator": "comeback_rate", "yearly": "0.02"}]},
    "PUT /kpi/sites/{site_id}/reference-data/{month}": {"service_headcount": 12},
    "PATCH /sites/{site_id}/parts/{part_number}": {"description": "renamed"},
    "PUT /sites/{site_id}/parts/{part_number}/supersession": {"superseded_by": "FZ-PAD-2"},
    "POST /parts-requests/{request_id}/return": {"request_line_id": "x", "quantity": "1"},
    "PATCH /backorders/{backorder_id}": {"expected_at": None},
    "PATCH /bays/{bay_id}": {"name": "Renamed"},
    "POST /bays/{bay_id}/status": {"status": "closed"},
    "PATCH /technicians/{technician_id}": {"team": "night"},
    "POST /jobs/{job_id}/dispatch": {"technician_id": "x", "bay_id": "x"},
    "POST /jobs/{job_id}/pause": {"reason": "break"},
    "POST /jobs/{job_id}/parts-requests": {"lines": [{"part_number": "P-1", "quantity": "1"}]},
    "POST /sites/{site_id}/repair-orders/{repair_order_id}/qc": {"result": "pass"},
    "PATCH /sites/{site_id}/customers/{customer_id}": {"name": "Li Na"},
    "PATCH /sites/{site_id}/vehicles/{vehicle_id}": {"mileage": 31000},
    "POST /appointments/{appointment_id}/reschedule": {"slot_start": SLOT},
    "PATCH /repair-orders/{repair_order_id}": {"ro_type": "general_repair"},
    "POST /repair-orders/{repair_order_id}/deliver": {"mileage_out": 30600},
    "PUT /repair-orders/{repair_order_id}/comeback": {"is_comeback": True, "reason": "same noise"},
    "POST /repair-orders/{repair_order_id}/lines": LINE,
    "PATCH /repair-orders/{repair_order_id}/lines/{line_id}": {"description": "rear pads"},
    "POST /repair-orders/{repair_order_id}/lines/{line_id}/approve": {"by": "Wang Wei", "method": "in_person"},
    "POST /repair-orders/{repair_order_id}/lines/{line_id}/decline": {"by": "Wang Wei", "method": "in_person"},
    "POST /follow-up-attempts/{attempt_id}/result": {"reached": True, "scores": {"friendliness": 4}},
    "PATCH /warranty/claims/{claim_id}": {"mileage_out": 30600, "cause": "Water pump seal worn", "condition_code": "C12",
                                          "defect_code": "D45"},
    "POST /warranty/claims/{claim_id}/submit": {},
    "POST /warranty/claims/{claim_id}/close": {"reason": "abandoned"},
}


def mass_assignments(service: str, a: str, b: str, ids: dict[str, str]) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, path, body, the field no caller may set) on the service's main create and update endpoints, on site `a`."""
    part = {"part_number": "MA-1", "description": "new part", "unit_cost": "10", "unit_price": "20"}
    if service == "parts":
        request = {"lines": [{"part_number": "FZ-OIL-1", "quantity": "1"}]}
        return [
            ("POST", f"/sites/{a}/parts", {**part, "on_hand": "1000"}, "on_hand"),
            ("POST", f"/sites/{a}/parts", {**part, "site_id": b}, "site_id"),
            ("PATCH", f"/sites/{a}/parts/FZ-OIL-1", {"unit_price": "1", "reserved": "0"}, "reserved"),
            ("PATCH", f"/sites/{a}/parts/FZ-OIL-1", {"version": 99}, "version"),
            ("POST", f"/sites/{a}/parts-requests", {**request, "status": "issued"}, "status"),
            ("POST", f"/sites/{a}/parts-requests", {"lines": [{**request["lines"][0], "unit_price": "0"}]}, "unit_price"),
            ("POST", f"/parts-requests/{ids['request_id']}/issue", {"fully_issued_at": "2026-01-01T00:00:00Z"}, "fully_issued_at"),
            ("POST", f"/sites/{a}/receipts", {"lines": [{"part_number": "FZ-OIL-1", "quantity": "1"}], "site_id": b}, "site_id"),
            ("PATCH", f"/backorders/{ids['backorder_id']}", {"expected_at": None, "status": "filled"}, "status"),
        ]
    if service == "workshop":
        bay = {"name": "Bay 9", "kind": "general"}
        return [
            ("POST", f"/sites/{a}/bays", {**bay, "site_id": b}, "site_id"),
            ("POST", f"/sites/{a}/bays", {**bay, "job_id": ids["job_id"]}, "job_id"),
            ("PATCH", f"/bays/{ids['bay_id']}", {"name": "Bay 1b", "status": "out_of_service"}, "status"),
            ("POST", f"/sites/{a}/technicians", {"name": "Zhou", "state": "on_job"}, "state"),
            ("PATCH", f"/technicians/{ids['technician_id']}", {"site_id": b}, "site_id"),
            ("PATCH", f"/technicians/{ids['technician_id']}", {"pin_hash": "x"}, "pin_hash"),
            ("POST", f"/jobs/{ids['job_id']}/complete", {"sold_hours": "9"}, "sold_hours"),
            ("POST", f"/jobs/{ids['job_id']}/pause", {"reason": "break", "status": "completed"}, "status"),
            ("POST", f"/sites/{a}/repair-orders/{ids['repair_order_id']}/qc", {"result": "pass", "inspector": "x"}, "inspector"),
        ]
    if service == "reception":
        ro = {"visit_id": ids["visit_id"], "mileage_in": 30500, "ro_type": "general_repair"}
        ro_id, line_id = ids["repair_order_id"], ids["line_id"]
        return [
            ("POST", f"/sites/{a}/repair-orders", {**ro, "state": "invoiced"}, "state"),
            ("POST", f"/sites/{a}/repair-orders", {**ro, "ro_number": "RO-1"}, "ro_number"),
            ("POST", f"/sites/{a}/repair-orders", {**ro, "job_lines": [{**LINE, "status": "approved"}]}, "status"),
            ("PATCH", f"/repair-orders/{ro_id}", {"state": "ready"}, "state"),
            ("POST", f"/repair-orders/{ro_id}/lines", {**LINE, "approved_by": "advisor"}, "approved_by"),
            ("PATCH", f"/repair-orders/{ro_id}/lines/{line_id}", {"status": "approved"}, "status"),
            ("POST", f"/repair-orders/{ro_id}/invoice", {"total": "0"}, "total"),
            ("POST", f"/sites/{a}/customers", {"name": "Li", "phone": "+86 139 0000 0000", "site_id": b}, "site_id"),
            ("PATCH", f"/sites/{a}", {"name": "renamed", "site_id": b}, "site_id"),
        ]
    return [
        ("PUT", f"/kpi/sites/{a}/reference-data/2026-01", {"service_headcount": 12, "site_id": b}, "site_id"),
        ("PUT", f"/kpi/sites/{a}/targets/2026", {"targets": [{"indicator": "comeback_rate", "yearly": "0.02",
                                                                  "achieved": "1"}]}, "achieved"),
    ]
