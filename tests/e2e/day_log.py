"""The simulator's log of one site read back as plain facts: what was done, by whom, when (no service code)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

D = Decimal


def when(text: str) -> float:
    """An RFC 3339 time as POSIX seconds."""
    return datetime.fromisoformat(text).timestamp()


@dataclass
class Line:
    ro: str
    pay_type: str
    hours: Decimal
    rate: Decimal
    proposed_at: float | None = None
    decided_at: float | None = None
    approved: bool | None = None


@dataclass
class Ro:
    id: str
    visit: str
    ro_type: str
    arrived_at: float
    opened_at: float
    promised_at: float | None
    vehicle: str
    answered_comeback: tuple[bool, str | None]  # (is_comeback, comeback_of) as reception last answered them
    is_comeback: bool = False  # by the comeback rule, from the log's actions (see Reader._comeback)
    comeback_of: str | None = None
    work: set[tuple[str, str]] = field(default_factory=set)  # ("op", op code) and ("concern", complaint), as compared
    lines: list[str] = field(default_factory=list)
    qc: list[tuple[float, bool]] = field(default_factory=list)
    invoiced_at: float | None = None
    invoice: dict[str, Any] | None = None
    sublets: list[dict[str, Any]] = field(default_factory=list)
    delivered_at: float | None = None
    ready_seen: float | None = None  # ready_at as reception answered it
    campaigns: list[str] = field(default_factory=list)  # recall campaigns repaired on it


@dataclass
class Request:
    id: str
    job: str
    ro: str
    requested_at: float
    lines: list[tuple[str, Decimal]]
    reserved: list[Decimal] = field(default_factory=list)  # per line, from the stock the log's receipts and requests leave
    first_seen: list[dict[str, Any]] | None = None
    issued_at: float | None = None


@dataclass
class Interval:
    job: str
    tech: str
    bay: str
    start: float
    end: float | None = None


@dataclass
class Site:
    """Everything the day's log says about one site."""

    site_id: str
    time_zone: str
    date: str
    labour_rate: Decimal = D(0)
    technician_cost_rate: Decimal = D(0)
    opening: tuple[str, str] = ("08:00", "18:00")
    bays: dict[str, tuple[str, float]] = field(default_factory=dict)  # id -> (name, opened at)
    technicians: list[str] = field(default_factory=list)
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    comeback_window_days: int = 30
    appointments: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> slot_start, cancelled, arrived
    visits: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> arrived_at, appointment_id, vehicle_id
    ros: dict[str, Ro] = field(default_factory=dict)
    lines: dict[str, Line] = field(default_factory=dict)
    approved_at: dict[str, float] = field(default_factory=dict)  # job (line) id -> approval time
    intervals: list[Interval] = field(default_factory=list)
    holds: list[Interval] = field(default_factory=list)
    completions: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    shifts: dict[str, list[list[float | None]]] = field(default_factory=lambda: defaultdict(list))
    breaks: dict[str, list[list[float | None]]] = field(default_factory=lambda: defaultdict(list))
    requests: dict[str, Request] = field(default_factory=dict)
    stock_at_end: list[dict[str, Any]] = field(default_factory=list)
    open_backorders_at_end: list[dict[str, Any]] = field(default_factory=list)
    kpi_summary: dict[str, Any] | None = None
    claims_decided: dict[str, str] = field(default_factory=dict)  # claim id -> the OEM's decision


def _last(parts: list[str], after: str) -> str:
    return parts[parts.index(after) + 1]


class Reader:
    """Replays the log's actions in order, keeping the job clocks and bay holds as the floor saw them."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.running: dict[tuple[str, str], Interval] = {}  # (job, tech) -> open interval
        self.holding: dict[str, Interval] = {}  # job -> open hold
        self.available: dict[str, Decimal] = defaultdict(Decimal)  # part number -> on the shelf, not reserved
        self.queue: dict[str, list[list[Any]]] = defaultdict(list)  # part number -> [request, line index, short], oldest first

    def action(self, r: dict[str, Any]) -> None:  # noqa: PLR0912, PLR0915 - one branch per action
        s, at, req, resp, path = self.site, when(r["at"]), r.get("request") or {}, r.get("response"), r["path"].split("/")
        name = r["action"]
        if name == "create site":
            s.labour_rate, s.technician_cost_rate = D(req["labour_rate"]), D(req["technician_cost_rate"])
            s.comeback_window_days = req.get("comeback_window_days", 30)
            hours = req["opening_hours"][0]
            s.opening = (hours["opens"], hours["closes"])
        elif name == "create bay":
            s.bays[resp["id"]] = (resp["name"], at)
        elif name == "create technician":
            s.technicians.append(req["id"])
        elif name == "create part":
            s.parts[req["part_number"]] = req
        elif name == "book appointment":
            s.appointments[resp["id"]] = {"slot_start": when(resp["slot_start"]), "cancelled": False, "arrived": False}
        elif name == "appointment cancel":
            s.appointments[_last(path, "appointments")]["cancelled"] = True
        elif name == "arrival":
            s.visits[resp["id"]] = {"arrived_at": at, "appointment_id": resp["appointment_id"], "vehicle_id": resp["vehicle_id"]}
            if resp["appointment_id"]:
                s.appointments[resp["appointment_id"]]["arrived"] = True
        elif name == "open RO":
            visit = s.visits[req["visit_id"]]
            ro = Ro(resp["id"], req["visit_id"], req["ro_type"], visit["arrived_at"], at,
                    when(req["promised_at"]) if req.get("promised_at") else None, visit["vehicle_id"],
                    (resp["is_comeback"], resp["comeback_of"]))
            s.ros[ro.id] = ro
            self._lines(ro, resp)
            self._comeback(ro, req.get("job_lines", []))
        elif name == "add line":
            ro = s.ros[resp["id"]]
            ro.answered_comeback = (resp["is_comeback"], resp["comeback_of"])
            self._lines(ro, resp)
            self._comeback(ro, [req])
        elif name == "request approval":
            for line_id in req["job_line_ids"]:
                s.lines[line_id].proposed_at = at
        elif name in ("approve line", "decline line"):
            line = s.lines[_last(path, "lines")]
            line.decided_at, line.approved = at, name == "approve line"
            if line.approved:
                s.approved_at[_last(path, "lines")] = at
        elif name == "dispatch":
            job = _last(path, "jobs")
            hold = self.holding.get(job)
            if hold is not None and hold.bay != req["bay_id"]:  # moved away: the old bay is free
                hold.end = at
                del self.holding[job]
        elif name in ("clock on", "help on job", "resume"):
            job = _last(path, "jobs")
            interval = Interval(job, req["technician_id"], resp["bay_id"], at)
            s.intervals.append(interval)
            self.running[(job, interval.tech)] = interval
            if job not in self.holding:
                self.holding[job] = Interval(job, "", resp["bay_id"], at)
                s.holds.append(self.holding[job])
        elif name == "pause":
            self._stop(_last(path, "jobs"), None, at)
        elif name == "clock off":
            self._stop(_last(path, "jobs"), req["technician_id"], at)
        elif name == "complete":
            job = _last(path, "jobs")
            self._stop(job, None, at)
            s.completions[job].append(at)
            hold = self.holding.pop(job, None)
            if hold is not None:
                hold.end = at
        elif name == "break start":
            tech = _last(path, "technicians")
            for (job, who) in list(self.running):
                if who == tech:
                    self._stop(job, tech, at)
            s.breaks[tech].append([at, None])
        elif name == "break end":
            s.breaks[_last(path, "technicians")][-1][1] = at
        elif name == "clock in":
            s.shifts[_last(path, "technicians")].append([at, None])
        elif name == "clock out":
            tech = _last(path, "technicians")
            s.shifts[tech][-1][1] = at
            if s.breaks[tech] and s.breaks[tech][-1][1] is None:
                s.breaks[tech][-1][1] = at
        elif name == "request parts":
            job = _last(path, "jobs")
            request = Request(resp["id"], job, resp["repair_order_id"], at,
                              [(line["part_number"], D(line["quantity"])) for line in req["lines"]])
            s.requests[request.id] = request
            self._reserve(request)
        elif name in ("receive stock", "receive delivery"):
            for line in req["lines"]:
                self._receive(line["part_number"], D(line["quantity"]))
        elif name == "issue parts":
            self._request_status(_last(path, "parts-requests"), resp, at)
        elif name in ("qc pass", "qc fail"):
            s.ros[_last(path, "repair-orders")].qc.append((at, name == "qc pass"))
        elif name == "invoice":
            ro = s.ros[_last(path, "repair-orders")]
            ro.invoiced_at, ro.invoice, ro.sublets = at, resp, req.get("sublet_lines", [])
        elif name == "deliver":
            s.ros[_last(path, "repair-orders")].delivered_at = at

    def observe(self, r: dict[str, Any]) -> None:
        s, at, resp = self.site, when(r["at"]), r["response"]
        name = r["action"]
        if name in ("parts request at the counter", "parts request after the delivery"):
            request = s.requests[resp["request_id"]]
            if request.first_seen is None:
                request.first_seen = resp["lines"]
            self._request_status(resp["request_id"], resp, at)
        elif name == "RO ready with its parts":
            s.ros[resp["id"]].ready_seen = when(resp["ready_at"])
        elif name == "stock at day end":
            s.stock_at_end = resp["items"]
        elif name == "open backorders at day end":
            s.open_backorders_at_end = resp["items"]
        elif name == "kpi summary of the day":
            s.kpi_summary = resp
        elif name == "warranty claim decided by the OEM":
            s.claims_decided[resp["id"]] = resp["status"]

    def _lines(self, ro: Ro, resp: dict[str, Any]) -> None:
        for line in resp["lines"]:
            if line.get("campaign_number") and line["campaign_number"] not in ro.campaigns:
                ro.campaigns.append(line["campaign_number"])
            if line["id"] not in self.site.lines:
                self.site.lines[line["id"]] = Line(ro.id, line["pay_type"], D(line["sold_hours"]), D(line["labour_rate"]))
                ro.lines.append(line["id"])

    def _comeback(self, ro: Ro, lines: list[dict[str, Any]]) -> None:
        """Reception's rule: the vehicle back within the window for an op code or concern of an RO invoiced or delivered
        before it arrived; the latest such RO. Judged when the RO opens and when a line is added, never taken back."""
        ro.work |= {("op", line["op_code"].strip().upper()) for line in lines if line.get("op_code", "").strip()}
        ro.work |= {("concern", " ".join(line["complaint"].casefold().split())) for line in lines
                    if (line.get("complaint") or "").strip()}
        if ro.is_comeback:
            return
        start = ro.arrived_at - self.site.comeback_window_days * 86400
        earlier = [(e.delivered_at or e.invoiced_at, e.id) for e in self.site.ros.values()
                   if e.vehicle == ro.vehicle and e.id != ro.id and e.invoiced_at is not None and e.work & ro.work]
        found = [(t, rid) for t, rid in earlier if t is not None and start <= t <= ro.arrived_at]
        if found:
            ro.is_comeback, ro.comeback_of = True, max(found)[1]

    def _reserve(self, request: Request) -> None:
        """The parts service on a request from the workshop: reserve what is on the shelf, backorder the rest."""
        for index, (number, quantity) in enumerate(request.lines):
            held = min(quantity, max(self.available[number], D(0)))
            self.available[number] -= held
            request.reserved.append(held)
            if held < quantity:
                self.queue[number].append([request, index, quantity - held])

    def _receive(self, number: str, quantity: Decimal) -> None:
        """Stock booked in fills the part's backorders first come first served; the rest goes on the shelf."""
        self.available[number] += quantity
        queue = self.queue[number]
        while queue and self.available[number] > 0:
            filled = min(queue[0][2], self.available[number])
            self.available[number] -= filled
            queue[0][2] -= filled
            if queue[0][2] == 0:
                queue.pop(0)

    def _stop(self, job: str, tech: str | None, at: float) -> None:
        for key in [k for k in self.running if k[0] == job and (tech is None or k[1] == tech)]:
            self.running.pop(key).end = at

    def _request_status(self, request_id: str, resp: dict[str, Any], at: float) -> None:
        request = self.site.requests[request_id]
        if resp["status"] == "issued" and request.issued_at is None:
            request.issued_at = at


def read_sites(records: list[dict[str, Any]]) -> dict[str, Site]:
    """Every site of a simulator log."""
    sites: dict[str, Site] = {}
    readers: dict[str, Reader] = {}
    for r in sorted(records, key=lambda r: r["seq"]):
        kind = r.get("kind")
        if kind == "site":
            sites[r["site"]] = Site(r["site"], r["time_zone"], r["date"])
            readers[r["site"]] = Reader(sites[r["site"]])
        elif kind == "action":
            readers[r["site"]].action(r)
        elif kind == "observe":
            readers[r["site"]].observe(r)
    return sites
