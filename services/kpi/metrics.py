"""/metrics: gauges and wait histograms per site and window, computed from the sites' rows in memory.

A Prometheus collector cannot await, so each site's figures are computed by a background loop and kept as rendered
text: right after a consumer batch that touched the site commits, and every few seconds for every site (open intervals
keep running: time keeps moving). With the owned sites' rows in memory (services.kpi.state) no statement reaches the
database; without them (a collector on its own, in tests and tools) each site is read from the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kpi import exposition
from services.kpi import facts as facts_db
from services.kpi.figures import Snapshot, compute
from services.kpi.figures import window as windows
from services.kpi import families as site_figures
from services.kpi import review
from services.kpi.satisfaction import metrics as satisfaction
from services.kpi.state import figures as memory_figures
from services.kpi.state.figures import Targets
from services.kpi.state.live import LiveState
from services.kpi.warranty import metrics as warranty
from shared.outbox import utcnow
from shared.waiting import woken

log = logging.getLogger("pitwall.kpi.metrics")
_Family = exposition.Family


async def site_snapshots(engine: AsyncEngine, site_id: str, now: float) -> dict[str, Snapshot]:
    """Today, the rolling hour and month to date of one site, from one read of its facts."""
    async with engine.connect() as conn:
        site = facts_db.site_config(await facts_db.load_site(conn, site_id))
        chosen = [windows.named(kind, site.time_zone, now) for kind in windows.WINDOW_KINDS]
        facts = await facts_db.load_facts(conn, site_id, min(w.start for w in chosen), max(w.end for w in chosen), now)
    return await asyncio.to_thread(lambda: {w.kind: compute(facts, w) for w in chosen})


def catalogue() -> dict[str, tuple[str, str]]:
    """Every kpi family: name → (type, HELP); shown from the start, so a new site's alerts and panels read a family
    that is there, not one that does not exist yet."""
    return {**site_figures.headers(), **satisfaction.headers(), **warranty.headers(), **review.headers()}


class KpiMetrics(Collector):
    """The kpi figures of every site as Prometheus metrics, from an in-memory cache."""

    def __init__(self, engine: AsyncEngine, refresh_seconds: float, debounce_seconds: float, *,
                 lag: Callable[[], int | None] = lambda: 0, catch_up_lag: int = 2000, catch_up_seconds: float = 5.0,
                 registry: CollectorRegistry | None = None,
                 owns: Callable[[str], bool] = lambda site_id: True, live: LiveState | None = None,
                 batch_lock: asyncio.Lock | None = None) -> None:
        """`lag()`: events the consumer is behind (None: not known yet); while more than `catch_up_lag` or not known, dirty
        sites wait `catch_up_seconds`.

        `owns(site)`: whether this instance exports the site (services.kpi.ownership); the others' figures are neither
        computed nor shown here. `live`: the owned sites' rows in memory, read under the consumer's `batch_lock` when a
        site is first needed (without it, each site is read from the database at each recomputation).
        """
        self._live = live
        self._batch_lock = batch_lock
        self._stale_targets: set[str] = set()
        self._engine = engine
        self._owns = owns
        self._reassigned = False
        self._refresh_seconds = refresh_seconds
        self._debounce_seconds = debounce_seconds
        self._lag = lag
        self._catch_up_lag = catch_up_lag
        self._catch_up_seconds = catch_up_seconds
        self._families: dict[str, dict[str, _Family]] = {}
        self._headers = catalogue()
        self._rendered: dict[str, dict[str, exposition.Rendered]] = {}
        self._text: str | None = None
        self._dirty: dict[str, None] = {}  # in the order they were dirtied: the longest waiting is refreshed first
        self._wake = asyncio.Event()
        self._pass_seconds = Gauge("pitwall_kpi_refresh_pass_seconds", "How long the last pass over the sites with new events took",
                                   registry=registry)
        self._pass_sites = Gauge("pitwall_kpi_refresh_pass_sites", "How many sites the last pass over changed sites recomputed",
                                 registry=registry)
        self._site_seconds = Histogram("pitwall_kpi_refresh_site_seconds", "Time to recompute one site's figures", registry=registry,
                                       buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))

    def describe(self) -> list[Metric]:
        """Nothing up front: the samples depend on the sites seen."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Merge the cached families of every site."""
        merged = {name: _Family(kind, text, []) for name, (kind, text) in self._headers.items()}
        for families in list(self._families.values()):
            for name, family in families.items():
                target = merged.setdefault(name, _Family(family.kind, family.help, family.labels))
                target.labels = target.labels or family.labels  # a family of the catalogue gets its labels from its samples
                target.samples.extend(family.samples)
        for name in sorted(merged):
            family = merged[name]
            if family.kind == "histogram":
                histogram = HistogramMetricFamily(name, family.help, labels=family.labels)
                for labels, (buckets, total) in family.samples:
                    histogram.add_metric(labels, buckets, total)
                yield histogram
            else:
                gauge = GaugeMetricFamily(name, family.help, labels=family.labels)
                for labels, number in family.samples:
                    gauge.add_metric(labels, number)
                yield gauge

    def exposition(self, sites: list[str] | None = None) -> str:
        """Every site's figures (or these sites') as Prometheus text, rendered when computed."""
        if sites:
            return exposition.join([self._rendered[site] for site in dict.fromkeys(sites) if site in self._rendered], self._headers)
        if self._text is None:
            self._text = exposition.join(list(self._rendered.values()), self._headers)
        return self._text

    def reassigned(self) -> None:
        """The group moved partitions: forget the sites no longer owned, compute every owned one soon."""
        for site_id in [s for s in self._rendered if not self._owns(s)]:
            self._rendered.pop(site_id, None)
            self._families.pop(site_id, None)
        self._text = None
        self._reassigned = True
        self._wake.set()

    def targets_changed(self, site_id: str) -> None:
        """A site's targets or reference data were written (over REST): read them again and recompute the site."""
        self._stale_targets.add(site_id)
        self.mark_dirty(site_id)

    def mark_dirty(self, *sites: str) -> None:
        """Recompute these sites soon."""
        self._dirty.update(dict.fromkeys(sites))
        self._wake.set()

    async def refresh(self, sites: list[str] | None = None) -> None:
        """Recompute the cache for some sites (all known sites by default)."""
        if sites is None:
            async with self._engine.connect() as conn:
                sites = await facts_db.known_sites(conn)
            if self._live is not None:
                await self._live.reread_targets(self._engine)
        owned = [s for s in sites if self._owns(s)]
        if self._live is not None:
            await self._live.hold(self._engine, owned, self._batch_lock)
            stale, self._stale_targets = self._stale_targets & set(owned), self._stale_targets - set(owned)
            if stale:
                await self._live.reread_targets(self._engine, stale)
        moment = utcnow().timestamp()
        for site_id in owned:
            families: dict[str, _Family] = {}
            held = self._live.held(site_id) if self._live is not None else None
            if held is not None:
                assert self._live is not None
                families = memory_figures.families(held, moment, self._live.targets.get(site_id) or Targets())
                rendered = exposition.render(families)
                await asyncio.sleep(0)  # one site at a time: the consumer's batches run in between
            else:
                snapshots = await site_snapshots(self._engine, site_id, moment)
                families = site_figures.site_families(site_id, snapshots)
                families.update(await review.review_families_async(self._engine, site_id, moment, snapshots.get("month_to_date")))
                families.update(await satisfaction.satisfaction_families(self._engine, site_id, moment, _Family))
                families.update(await warranty.warranty_families(self._engine, site_id, moment, _Family))
                rendered = exposition.render(families)
            if self._owns(site_id):  # a rebalance may have moved it while it was computed
                self._families[site_id], self._rendered[site_id] = families, rendered
                self._text = None

    async def run(self) -> None:
        """Refresh dirty sites as they commit, and every site every `refresh_seconds` (longer if that is costly)."""
        full_round = last_pass = 0.0
        while True:
            try:
                # A full round never takes more than about a third of the time, however many sites there are.
                if not await woken(self._wake, max(self._refresh_seconds, 2 * full_round)):
                    if self.catching_up():
                        continue  # a replay: the consumer has the interpreter; the figures follow once it caught up
                    began = time.monotonic()
                    await self._refresh_all()
                    full_round = time.monotonic() - began
                    continue
                # Gather the batches right behind this one; while the consumer catches up on a backlog (a replay, or a
                # start before its first fetch says how far behind it is), figures of the past are not worth its time.
                await self._settle(max(self._catch_up_seconds, 4 * last_pass))
                self._wake.clear()
                if self._reassigned:
                    self._reassigned = False
                    await self._refresh_all()
                began = time.monotonic()
                count = await self._refresh_dirty()
                last_pass = time.monotonic() - began
                self._pass_seconds.set(last_pass)
                self._pass_sites.set(count)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the cache stays as it was; the next round retries
                log.exception("refreshing the kpi metrics failed")
                await asyncio.sleep(1.0)

    async def _settle(self, catch_up_wait: float) -> None:
        """Wait the debounce; while the consumer catches up, up to `catch_up_wait`, but no longer than it does."""
        # Checked again every tenth of a second: at start the lag is unknown until the first fetches answer, and a
        # fixed wait then held every change of the first seconds back for the whole of it.
        until = time.monotonic() + catch_up_wait
        while self.catching_up() and time.monotonic() < until:
            await asyncio.sleep(0.1)
        await asyncio.sleep(self._debounce_seconds)

    def catching_up(self) -> bool:
        """Whether the consumer is working through a backlog, or does not know yet how far behind it is."""
        lag = self._lag()
        return lag is None or lag > self._catch_up_lag

    async def _refresh_dirty(self) -> int:
        """Refresh the sites dirty when the pass begins, the longest waiting first; returns how many were refreshed."""
        # A site dirtied again while queued keeps its place, one dirtied while being refreshed waits for the next pass: a
        # change waits at most one pass over the others, and a pass ends even while the consumer keeps dirtying sites (a
        # replay), so the wait between passes applies.
        queue = list(self._dirty)
        count = 0
        for site_id in queue:
            self._dirty.pop(site_id, None)
            began = time.monotonic()
            try:
                await self.refresh([site_id])
            except BaseException:
                self.mark_dirty(*queue[count:])  # this one and those after it: retried on the next pass
                raise
            self._site_seconds.observe(time.monotonic() - began)
            count += 1
        return count

    async def _refresh_all(self) -> None:
        try:
            await self.refresh()
        except Exception:  # noqa: BLE001 - logged; the next round retries
            log.exception("refreshing the kpi metrics failed")
