"""Recall and field campaigns by VIN or VIN prefix, from a JSON file."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from tools.oem_simulator.schemas import Campaign


class RecallBook:
    """Campaigns keyed by VIN or VIN prefix; a campaign closes for a VIN once its claim is accepted."""

    def __init__(self, campaigns: dict[str, list[Campaign]]) -> None:
        self._campaigns = {key.strip().upper(): found for key, found in campaigns.items()}
        self._done: set[tuple[str, str]] = set()

    @classmethod
    def from_file(cls, path: Path) -> RecallBook:
        """Read `{"<VIN or prefix>": [{"campaign_number", "title", "op_code", "sold_hours"}, ...]}`."""
        raw = json.loads(path.read_text(), parse_float=Decimal)
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected an object keyed by VIN or VIN prefix")
        return cls({str(key): [Campaign.model_validate(c) for c in found] for key, found in raw.items()})

    def open_for(self, vin: str) -> list[Campaign]:
        """Open campaigns of a VIN, by campaign number."""
        vin = vin.upper()
        found: dict[str, Campaign] = {}
        for key, campaigns in self._campaigns.items():
            if vin.startswith(key):
                found.update({c.campaign_number: c for c in campaigns if (vin, c.campaign_number) not in self._done})
        return [found[number] for number in sorted(found)]

    def close(self, vin: str, campaign_number: str) -> None:
        """The campaign was done on this vehicle."""
        self._done.add((vin.upper(), campaign_number))
