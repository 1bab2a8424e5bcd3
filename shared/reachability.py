"""Whether the Kafka broker can be reached now: a field for /readyz and a gauge, checked every few seconds.

The Kafka clients' own state said neither: a producer started before an outage stayed "connected" through it, and a
service started during one reported Kafka down until its first send, though its writes were taken all along.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client import CollectorRegistry, Gauge

log = logging.getLogger("pitwall.kafka")


class BrokerProbe:
    """Tries a TCP connection to the bootstrap servers; reachable when any of them accepts one."""

    def __init__(
        self,
        bootstrap: str,
        registry: CollectorRegistry,
        service: str,
        *,
        every_seconds: float = 2.0,
        timeout_seconds: float = 1.0,
    ) -> None:
        self._addresses = [address.strip().rsplit(":", 1) for address in bootstrap.split(",") if address.strip()]
        self._every = every_seconds
        self._timeout = timeout_seconds
        self._gauge = Gauge(
            "pitwall_kafka_reachable",
            "Whether a Kafka bootstrap server accepts connections (1) or not (0)",
            ["service"],
            registry=registry,
        ).labels(service)
        self.reachable = False

    async def check(self) -> bool:
        """Try the servers now; update the field and the gauge."""
        reachable = False
        for host, port in self._addresses:
            with contextlib.suppress(OSError, TimeoutError, ValueError):
                _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), self._timeout)
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
                reachable = True
                break
        if reachable != self.reachable:
            log.log(
                logging.INFO if reachable else logging.WARNING, "kafka %s", "reachable" if reachable else "unreachable"
            )
        self.reachable = reachable
        self._gauge.set(1 if reachable else 0)
        return reachable

    async def run(self) -> None:
        """Check every few seconds until cancelled."""
        while True:
            await self.check()
            await asyncio.sleep(self._every)
