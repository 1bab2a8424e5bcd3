"""Every figure of the scripted day (tests/kpi/day.py), worked out by hand. Times are site-local.

Technicians
  T1 attendance 08:00–17:00 minus break 12:00–12:30 = 8.5 h = 30600 s.
  T2 clocked in 08:30–17:30; the foreman corrected the start to 08:00 → 9.5 h = 34200 s.
  T1 clocked on: L1 08:45–09:30 + 10:00–10:30 (paused for parts), L2 10:45–11:45, L3 12:30–13:30,
     L4 15:00–16:30 = 45+30+60+60+90 min = 17100 s.
  T2 clocked on: L2 10:15–12:00 + 13:00–14:00 (paused 12–13) + rework 14:30–14:45 = 10800 s.
  Jobs completed today: L1 (sold 1.5 h, T1 alone), L3 (1.0 h, T1 alone), L2 (2.0 h at completion, restated
  2.5 h = 9000 s at invoice; clocked T1 3600 s, T2 10800 s → T1 ¼ = 2250 s, T2 ¾ = 6750 s).
  T1 sold 5400 + 3600 + 2250 = 11250 s; clocked on those jobs 4500 + 3600 + 3600 = 11700 s.
  T2 sold 6750 s; clocked on L2 10800 s.
Bays (opening hours 08:00–18:00)
  B1 open all day: 36000 s. Busy: L1 45+30, L3 60, L4 90 min = 13500 s. Held: L1 08:45–10:30, L3
     12:30–13:30, L4 15:00–(not completed: still held, clipped at closing 18:00) = 105+60+180 min = 20700 s.
  B2 out of service 12:00–13:00: open 32400 s. Busy: T2's L2 intervals (T1's 10:45–11:45 inside them)
     = 105+60+15 min = 10800 s. Held: L2 10:15–14:00 and 14:30–14:45, minus 12–13 = 10800 s.
Waits
  reception: RO1 08:00→08:10 600, RO2 09:00→09:30 1800, RO3 13:00→13:20 1200, RO4 16:00→16:05 300,
     RO5 16:50→17:00 600.
  approval: L1 600, L3 600, L2 1200, L4 3600, L5 (declined) 1800.
  dispatch: L1 08:25→08:45 1200, L2 10:00→10:15 900, L3 09:50→12:30 9600, L4 14:30→15:00 1800.
  parts: P1 09:25→09:55 1800 (P2 still on backorder).
  qc: RO1 10:30→10:45, RO2 fail 14:00→14:15, RO2 pass 14:45→15:00: 900 each.
  pickup: RO1 11:00→12:00 3600, RO2 15:15→16:00 2700. dwell: RO1 14400, RO2 25200.
Money: RO1 labour 150 parts 80 (cost 50); RO2 labour 250 + 100 (warranty), sublet 120 (cost 90).
  total 700; cost = 50 + 90 + 5.0 h × 30 = 290 → margin 410/700.
"""

from __future__ import annotations

T1, T2 = (("technician", "T1"),), (("technician", "T2"),)
B1, B2 = (("bay", "B1"),), (("bay", "B2"),)
NONE: tuple = ()

TECHNICIANS = {
    ("attendance_time", T1): 30600, ("job_time", T1): 17100, ("sold_time", T1): 11250,
    ("completed_jobs_clocked_time", T1): 11700,
    ("technician_productivity", T1): 17100 / 30600, ("technician_efficiency", T1): 11250 / 11700,
    ("technician_proficiency", T1): 11250 / 30600,
    ("attendance_time", T2): 34200, ("job_time", T2): 10800, ("sold_time", T2): 6750, ("completed_jobs_clocked_time", T2): 10800,
    ("technician_productivity", T2): 10800 / 34200, ("technician_efficiency", T2): 0.625,
    ("technician_proficiency", T2): 6750 / 34200,
    ("attendance_time", NONE): 64800, ("job_time", NONE): 27900, ("sold_time", NONE): 18000,
    ("completed_jobs_clocked_time", NONE): 22500,
    ("technician_productivity", NONE): 27900 / 64800, ("technician_efficiency", NONE): 0.8,
    ("technician_proficiency", NONE): 18000 / 64800,
    ("technicians_clocked_in", NONE): 2, ("vehicles_per_technician", NONE): 1.0,  # RO1, RO2 ready ÷ 2 technicians
}
BAYS = {
    ("bay_open_time", B1): 36000, ("bay_busy_time", B1): 13500, ("bay_occupied_time", B1): 20700,
    ("bay_utilization", B1): 0.375, ("bay_occupancy", B1): 0.575,
    ("bay_open_time", B2): 32400, ("bay_busy_time", B2): 10800, ("bay_occupied_time", B2): 10800,
    ("bay_utilization", B2): 1 / 3, ("bay_occupancy", B2): 1 / 3,
    ("bay_open_time", NONE): 68400, ("bay_busy_time", NONE): 24300, ("bay_occupied_time", NONE): 31500,
    ("bay_utilization", NONE): 24300 / 68400, ("bay_occupancy", NONE): 31500 / 68400,
    ("bays_open", NONE): 2, ("bay_turnover", NONE): 1.0,  # 2 ROs ready ÷ 2 bays ÷ 1 day
}
WAITS = {  # kind: (count, sum, p50, p90, max); nearest rank
    "reception": (5, 4500, 600, 1800, 1800),
    "approval": (5, 7800, 1200, 3600, 3600),
    "dispatch": (4, 13500, 1200, 9600, 9600),
    "parts": (1, 1800, 1800, 1800, 1800),
    "qc": (3, 2700, 900, 900, 900),
    "pickup": (2, 6300, 2700, 3600, 3600),
    "dwell": (2, 39600, 14400, 25200, 25200),
}
ON_TIME = {("on_time_rate", NONE): 0.5}  # RO1 ready 11:00 ≤ 12:00; RO2 ready 15:15 > 15:00
VOLUME = {
    ("vehicle_entries", NONE): 5, ("repair_orders_opened", NONE): 5, ("repair_orders_ready", NONE): 2,
    ("repair_orders_invoiced", NONE): 2, ("repair_orders_delivered", NONE): 2,
    ("entry_share_by_ro_type", (("ro_type", "scheduled_maintenance"),)): 0.2,  # RO1
    ("entry_share_by_ro_type", (("ro_type", "first_free_service"),)): 0.2,  # RO4
    ("entry_share_by_ro_type", (("ro_type", "general_repair"),)): 0.4,  # RO2, RO5
    ("entry_share_by_ro_type", (("ro_type", "accident"),)): 0.2,  # RO3
    ("entry_share_by_ro_type", (("ro_type", "warranty"),)): 0.0,
    ("entry_share_by_ro_type", (("ro_type", "body_and_paint"),)): 0.0,
    ("entry_share_by_ro_type", (("ro_type", "accessories"),)): 0.0,
    ("comeback_entry_share", NONE): 0.4,  # RO3, RO5 (RO4 was unflagged)
    ("customer_pay_entries", NONE): 2,  # RO1, RO2 (RO4's customer line was declined)
}
WIP = {  # RO3 in work (L4 clocked off, unfinished); RO4 (line declined) and RO5 (no lines) open
    ("wip", (("state", "open"),)): 2, ("wip", (("state", "in_work"),)): 1,
    ("wip", (("state", "awaiting_approval"),)): 0, ("wip", (("state", "awaiting_work"),)): 0,
    ("wip", (("state", "awaiting_qc"),)): 0, ("wip", (("state", "qc_passed"),)): 0,
    ("wip", (("state", "ready"),)): 0, ("wip", (("state", "invoiced"),)): 0,
    ("wip_total", NONE): 3, ("wip_over_threshold", NONE): 0,
}
MONEY = {
    ("labour_revenue", NONE): 500, ("parts_revenue", NONE): 80, ("sublet_revenue", NONE): 120, ("total_revenue", NONE): 700,
    ("revenue_per_repair_order", NONE): 350, ("invoiced_sold_time", NONE): 18000, ("effective_labour_rate", NONE): 100,
    ("gross_margin", NONE): 410 / 700, ("labour_revenue_share", NONE): 500 / 700, ("parts_revenue_share", NONE): 80 / 700,
    ("sublet_revenue_share", NONE): 120 / 700, ("customer_labour_revenue_share", NONE): 400 / 700,
    ("revenue_by_pay_type", (("pay_type", "customer"),)): 600, ("revenue_by_pay_type", (("pay_type", "warranty"),)): 100,
    ("revenue_by_pay_type", (("pay_type", "internal"),)): 0, ("revenue_by_pay_type", (("pay_type", "insurance"),)): 0,
    ("revenue_share_by_pay_type", (("pay_type", "customer"),)): 600 / 700,
    ("revenue_share_by_pay_type", (("pay_type", "warranty"),)): 100 / 700,
    ("revenue_share_by_pay_type", (("pay_type", "internal"),)): 0, ("revenue_share_by_pay_type", (("pay_type", "insurance"),)): 0,
    ("revenue_by_ro_type", (("ro_type", "scheduled_maintenance"),)): 230, ("revenue_by_ro_type", (("ro_type", "general_repair"),)): 470,
    ("revenue_share_by_ro_type", (("ro_type", "scheduled_maintenance"),)): 230 / 700,
    ("revenue_share_by_ro_type", (("ro_type", "general_repair"),)): 470 / 700,
    **{("revenue_by_ro_type", (("ro_type", t),)): 0 for t in ("first_free_service", "warranty", "body_and_paint", "accident", "accessories")},
    **{("revenue_share_by_ro_type", (("ro_type", t),)): 0 for t in ("first_free_service", "warranty", "body_and_paint", "accident", "accessories")},
}
QUALITY = {
    ("comeback_rate", NONE): 0.4,  # RO3, RO5 of 5 opened
    ("first_time_fix_rate", NONE): 0.5,  # RO1 yes; RO2 failed QC
    ("qc_first_pass_rate", NONE): 0.5,  # RO1 passed first; RO2 failed first
}
PARTS = {
    ("parts_fill_rate", NONE): 1 / 3,  # PL1 from stock at first pick; PL2 backordered; PL3 backordered
    ("open_backorders", NONE): 1,  # BO1 filled 09:55, BO2 open
    ("parts_below_reorder_point", NONE): 1,  # FILTER below; PAD back above at 11:00
}
APPOINTMENTS = {
    ("appointments_due", NONE): 3,  # A1, A2, A3 (A4 cancelled)
    ("appointment_show_rate", NONE): 2 / 3,  # A1 (V1), A2 (V3) arrived; A3 no-show
    ("booked_arrival_share", NONE): 0.4,  # V1, V3 of 5 arrivals
}
AREAS = {
    "technicians": TECHNICIANS, "bays": BAYS, "waits": ON_TIME, "wip": {**VOLUME, **WIP}, "money": MONEY,
    "quality": QUALITY, "parts": PARTS, "appointments": APPOINTMENTS,
}
