"""The API docs load on a network without internet: every page and asset comes from the app itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from services.kpi.app import create_app as kpi_app
from services.parts.app import create_app as parts_app
from services.reception.app import create_app as reception_app
from services.workshop.app import create_app as workshop_app
from tests.kit import running
from tools.oem_simulator.app import create_app as oem_app


@pytest.mark.parametrize("create_app", [reception_app, workshop_app, parts_app, kpi_app, oem_app],
                         ids=["reception", "workshop", "parts", "kpi", "oem-simulator"])
async def test_docs_pages_load_every_asset_from_the_app(create_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PITWALL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PITWALL_RUN_RELAY", "false")
    monkeypatch.setenv("PITWALL_RUN_CONSUMER", "false")
    async with running(create_app()) as client:
        for page in ("/docs", "/redoc"):
            html = (await client.get(page)).text
            sources = re.findall(r"""(?:src|href)\s*[:=]\s*['"]([^'"]+)['"]""", html) + re.findall(r"url: '([^']+)'", html)
            assert sources and not [s for s in sources if "//" in s], (page, sources)
            for source in sources:
                answer = await client.get(source)
                assert answer.status_code == 200 and answer.content, (page, source)
        assert (await client.get("/docs-assets/swagger-ui-bundle.js")).headers["content-type"].startswith(("text/javascript",
                                                                                                          "application/javascript"))
        assert (await client.get("/openapi.json")).json()["info"]["title"].startswith("Pitwall")
