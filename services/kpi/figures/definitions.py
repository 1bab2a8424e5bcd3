"""What every figure means: its unit, its formula and its Prometheus name (under `pitwall_kpi_`).

A figure labelled by technician or bay is exposed as `pitwall_kpi_technician_<metric>` or
`pitwall_kpi_bay_<metric>`; a site figure as `pitwall_kpi_<metric>`. `state` figures are read at the
window's end (or now) rather than counted over it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    unit: str
    formula: str
    metric: str | None
    state: bool = False
    scoped: bool = False  # only per technician or bay: no site-level series
    scopes: tuple[str, ...] = ()  # labels it also comes per: "technician", "bay"


D = Definition
SECONDS, RATIO, COUNT, MONEY = "seconds", "ratio", "count", "currency"
TECHNICIAN, BAY = ("technician",), ("bay",)

DEFINITIONS: dict[str, Definition] = {
    # technicians
    "attendance_time": D(SECONDS, "clocked in → clocked out, minus attendance breaks, clipped to the window (a shift still open runs to now)", "attendance_seconds", scopes=TECHNICIAN),
    "job_time": D(SECONDS, "time clocked on jobs while the technician is clocked in and off break (paused time excluded; a clock left running after clock-out adds nothing), clipped to the window (a job clocked on now counts up to now)", "job_seconds", scopes=TECHNICIAN),
    "sold_time": D(SECONDS, "standard (sold) hours of the jobs completed in the window × 3600, split between technicians in proportion to their clocked time on the job; provisional until the RO is invoiced", "sold_seconds", scopes=TECHNICIAN),
    "completed_jobs_clocked_time": D(SECONDS, "all the time clocked on the jobs completed in the window while clocked in and off break, including time before the window", "completed_jobs_clocked_seconds", scopes=TECHNICIAN),
    "technician_productivity": D(RATIO, "job time ÷ attendance time", "productivity_ratio", scopes=TECHNICIAN),
    "technician_efficiency": D(RATIO, "sold time of the jobs completed in the window ÷ all the time clocked on those same jobs", "efficiency_ratio", scopes=TECHNICIAN),
    "technician_proficiency": D(RATIO, "sold time ÷ attendance time (overall)", "proficiency_ratio", scopes=TECHNICIAN),
    "technicians_clocked_in": D(COUNT, "technicians with attendance time in the window", "technicians_clocked_in"),
    "vehicles_per_technician": D("repair orders per technician", "ROs that became ready ÷ technicians who clocked in", "vehicles_per_technician"),
    # bays
    "bay_open_time": D(SECONDS, "the site's opening hours while the bay's status is open (summed over bays for the site)", "open_seconds", scopes=BAY),
    "bay_busy_time": D(SECONDS, "time a job is clocked on in the bay (as counted in job time: only while its technician is clocked in), within its open time", "busy_seconds", scopes=BAY),
    "bay_occupied_time": D(SECONDS, "time the bay holds a job (first clock-on there until completed or moved away, pauses included), within its open time", "occupied_seconds", scopes=BAY),
    "bay_utilization": D(RATIO, "bay busy time ÷ bay open time", "utilization_ratio", scopes=BAY),
    "bay_occupancy": D(RATIO, "bay occupied time ÷ bay open time", "occupancy_ratio", scopes=BAY),
    "bays_open": D(COUNT, "bays with open time in the window", "bays_open"),
    "bay_turnover": D("repair orders per bay per day", "ROs that became ready ÷ bays open ÷ days with open time", "bay_turnover"),
    # waits (distributions are described in WAITS)
    "on_time_rate": D(RATIO, "ROs ready by their promised time ÷ ROs that became ready with a promised time", "on_time_ratio"),
    # volume and work in progress
    "vehicle_entries": D(COUNT, "vehicle arrivals", "vehicle_entries"),
    "repair_orders_opened": D(COUNT, "ROs opened", "repair_orders_opened"),
    "repair_orders_ready": D(COUNT, "ROs that became ready", "repair_orders_ready"),
    "repair_orders_invoiced": D(COUNT, "ROs invoiced (by their latest invoice)", "repair_orders_invoiced"),
    "repair_orders_delivered": D(COUNT, "ROs whose vehicle was delivered", "repair_orders_delivered"),
    "entry_share_by_ro_type": D(RATIO, "arrivals whose RO has the type ÷ arrivals", "entries_share_by_ro_type_ratio"),
    "customer_pay_entries": D(COUNT, "arrivals whose RO has a customer-pay job line (not removed or declined)", "customer_pay_entries"),
    "comeback_entry_share": D(RATIO, "arrivals whose RO is a comeback ÷ arrivals", "comeback_entries_share_ratio"),
    "wip": D(COUNT, "ROs opened and not yet delivered or cancelled, by state, at the window's end (or now)", "wip_repair_orders", state=True),
    "wip_total": D(COUNT, "ROs opened and not yet delivered or cancelled, at the window's end (or now)", "wip_total_repair_orders", state=True),
    "wip_oldest_age": D(SECONDS, "age (since arrival) of the oldest RO in progress", "wip_oldest_age_seconds", state=True),
    "wip_over_threshold": D(COUNT, "ROs in progress older (since arrival) than the threshold", "wip_over_threshold_repair_orders", state=True),
    "wip_past_promise": D(COUNT, "ROs in progress and not yet ready whose promised time has passed, at the window's end (or now)", "wip_past_promise_repair_orders", state=True),
    "wip_waiting_parts": D(COUNT, "ROs in progress and not yet ready with a parts request (or backorder) not issued in full for a job neither finished nor withdrawn, at the window's end (or now)", "waiting_parts_repair_orders", state=True),
    # the floor now
    "reception_queue": D(COUNT, "vehicles that arrived on the site's day and have no RO opened yet, at the window's end (or now)", "reception_queue_vehicles", state=True),
    "reception_queue_longest_wait": D(SECONDS, "time since arrival of the vehicle waiting longest for its RO (0 when none waits)", "reception_queue_longest_wait_seconds", state=True),
    "stale_clocks": D(COUNT, "clocks the workshop flagged stale that still run, each clock once under its most urgent kind (past clock-out, then over sold hours, then shift overrun): a job clock until clocked off, paused, completed or corrected (past clock-out: or the technician clocks in again); a shift until clocked out or corrected", "stale_clocks", state=True),
    "technician_name": D("1 per name", "a technician's display name (the latest clock-in states it)", "info", state=True, scoped=True, scopes=TECHNICIAN),
    "bay_name": D("1 per name", "a bay's display name (the latest status change states it)", "info", state=True, scoped=True, scopes=BAY),
    # money
    "labour_revenue": D(MONEY, "labour amounts of the invoices (sold hours × labour rate, whoever pays), before tax", "labour_revenue"),
    "parts_revenue": D(MONEY, "parts amounts of the invoices, before tax", "parts_revenue"),
    "sublet_revenue": D(MONEY, "sublet amounts of the invoices, before tax", "sublet_revenue"),
    "total_revenue": D(MONEY, "total service revenue of the invoices, before tax", "revenue"),
    "revenue_per_repair_order": D(MONEY, "total revenue ÷ ROs invoiced", "revenue_per_repair_order"),
    "invoiced_sold_time": D(SECONDS, "sold hours invoiced × 3600", "invoiced_sold_seconds"),
    "effective_labour_rate": D("currency per hour", "labour revenue ÷ sold hours invoiced", None),
    "gross_margin": D(RATIO, "(revenue − cost) ÷ revenue; cost = parts cost + sublet cost + sold hours invoiced × the site's technician cost rate", "gross_margin_ratio"),
    "labour_revenue_share": D(RATIO, "labour revenue ÷ total revenue", "labour_revenue_share_ratio"),
    "parts_revenue_share": D(RATIO, "parts revenue ÷ total revenue", "parts_revenue_share_ratio"),
    "sublet_revenue_share": D(RATIO, "sublet revenue ÷ total revenue", "sublet_revenue_share_ratio"),
    "customer_labour_revenue_share": D(RATIO, "customer-pay labour revenue ÷ total revenue", "customer_labour_revenue_share_ratio"),
    "revenue_by_pay_type": D(MONEY, "invoice amounts by who pays", "revenue_by_pay_type"),
    "revenue_share_by_pay_type": D(RATIO, "invoice amounts by who pays ÷ total revenue", "revenue_share_by_pay_type_ratio"),
    "revenue_by_ro_type": D(MONEY, "total revenue of the invoices of ROs of the type", "revenue_by_ro_type"),
    "revenue_share_by_ro_type": D(RATIO, "total revenue of the invoices of ROs of the type ÷ total revenue", "revenue_share_by_ro_type_ratio"),
    # quality
    "comeback_rate": D(RATIO, "comeback ROs opened ÷ ROs opened", "comeback_ratio"),
    "first_time_fix_rate": D(RATIO, "ROs invoiced with no QC fail and no comeback against them ÷ ROs invoiced", "first_time_fix_ratio"),
    "qc_first_pass_rate": D(RATIO, "ROs whose first QC result (in the window) was a pass ÷ ROs whose first QC result is in the window", "qc_first_pass_ratio"),
    # parts
    "parts_fill_rate": D(RATIO, "request lines issued in full from stock at first pick ÷ request lines (of requests made in the window)", "parts_fill_ratio"),
    "open_backorders": D(COUNT, "backorders not yet filled, at the window's end (or now)", "open_backorders", state=True),
    "parts_below_reorder_point": D(COUNT, "parts whose available stock is below their reorder point, at the window's end (or now)", "parts_below_reorder_point", state=True),
    # appointments
    "appointments_due": D(COUNT, "appointments whose slot starts in the window, cancelled ones excluded", "appointments_due"),
    "appointment_show_rate": D(RATIO, "appointments due whose vehicle arrived ÷ appointments due", "appointment_show_ratio"),
    "booked_arrival_share": D(RATIO, "arrivals on an appointment ÷ arrivals", "booked_arrivals_share_ratio"),
}

WAITS: dict[str, str] = {
    "reception": "vehicle arrived → its RO opened",
    "approval": "job line proposed to the customer → approved or declined (one per line)",
    "dispatch": "job line approved → first clock-on of that job (one per job)",
    "parts": "parts requested → issued in full (one per request)",
    "qc": "the RO's last job completion before the QC result → the QC result (one per result)",
    "pickup": "RO ready → vehicle delivered",
    "dwell": "vehicle arrived → delivered",
}
WAIT_FORMULA_SUFFIX = "; counted in the window where it ends; p50/p90 by nearest rank"
