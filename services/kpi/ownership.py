"""Which sites an instance owns: those whose key falls in the partitions the consumer group assigned to it.

Every topic is keyed by site and the group's partitions are assigned by range, so with equal partition counts a site's
events on every topic reach one member. That member exports the site's figures on /metrics; the others do not, so
summing the instances' series counts each site once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from aiokafka.partitioner import murmur2
from aiokafka.structs import TopicPartition

log = logging.getLogger("pitwall.kpi.ownership")


def partition_of(site_id: str, partitions: int) -> int:
    """The partition a site's events go to on a topic of that many partitions (Kafka's default partitioner)."""
    return (murmur2(site_id.encode()) & 0x7FFFFFFF) % partitions


class Ownership:
    """The sites this instance owns; every site until a consumer group says otherwise (no consumer: one instance)."""

    def __init__(self) -> None:
        self._partitions: int | None = None  # of the deciding topic; None: own everything
        self._owned: frozenset[int] = frozenset()
        self._known: dict[str, bool] = {}  # asked for every event: the answer per site until the next assignment

    def assign(self, assigned: Iterable[TopicPartition], counts: Mapping[str, int]) -> None:
        """The group's new assignment to this member, with the partition count of each topic it consumes."""
        if not counts:
            return
        if len(set(counts.values())) > 1:
            log.warning("the kpi's topics have different partition counts (%s): a site's events may reach two instances;"
                        " each site's figures are still exported by one, the owner of its partition of %s",
                        dict(counts), min(counts))
        anchor = min(counts)  # the first topic by name decides
        self._partitions = counts[anchor]
        self._owned = frozenset(tp.partition for tp in assigned if tp.topic == anchor)
        self._known = {}

    def owns(self, site_id: str) -> bool:
        """Whether this instance exports the site's figures."""
        if self._partitions is None:
            return True
        known = self._known.get(site_id)
        if known is None:
            known = self._known[site_id] = partition_of(site_id, self._partitions) in self._owned
        return known
