"""The public REST APIs as the devices call them: a token per role, Idempotency-Key on every POST, retries while a
service restarts, bounded polling for asynchronous effects, and one JSON line in the log per action."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TextIO

import httpx
import orjson

from shared.auth import mint_token

RETRYABLE_STATUS = {502, 503, 504}
IN_FLIGHT = "/problems/idempotency-in-flight"


class SimulationError(RuntimeError):
    """A service answered what a real day cannot go on from (or never answered)."""


@dataclass
class Stats:
    """What the simulator sent, for the summary."""

    calls: int = 0
    retries: int = 0
    polls: int = 0
    call_seconds: float = 0.0  # real time spent in actions
    wait_seconds: float = 0.0  # real time spent waiting for asynchronous effects
    by_action: dict[str, int] = field(default_factory=dict)


class ActionLog:
    """The simulator's own JSON-lines record of every action: what it sent and what it got back."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._seq = 0

    def write(self, record: dict[str, Any]) -> None:
        """Append one record (flushed, so a reader sees the day as it is played)."""
        self._seq += 1
        if self._stream is not None:
            self._stream.write(orjson.dumps({"seq": self._seq, **record}, default=str).decode() + "\n")
            self._stream.flush()


class Tokens:
    """Bearer tokens of the people at one or more sites, minted with the deployment's secret."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._cache: dict[tuple[str, str, tuple[str, ...]], str] = {}

    def header(self, subject: str, role: str, sites: Iterable[str]) -> dict[str, str]:
        """Authorization header for a person holding one role on some sites."""
        key = (subject, role, tuple(sorted(sites)))
        if key not in self._cache:
            self._cache[key] = mint_token(self._secret, subject, [role], key[2], timedelta(hours=72))
        return {"Authorization": f"Bearer {self._cache[key]}"}


@dataclass(frozen=True)
class Who:
    """The person (subject and role) acting."""

    subject: str
    role: str


class Api:
    """Calls to the four services for one site."""

    def __init__(self, clients: dict[str, httpx.AsyncClient], tokens: Tokens, log: ActionLog, stats: Stats, site_id: str, *,
                 retry_seconds: float, wait_seconds: float) -> None:
        self._clients = clients
        self._tokens = tokens
        self._log = log
        self.stats = stats
        self.site_id = site_id
        self._retry_seconds = retry_seconds
        self._wait_seconds = wait_seconds
        self._keys = 0

    async def send(self, service: str, method: str, path: str, who: Who, at: datetime, action: str, body: dict[str, Any] | None = None,
                   *, expect: tuple[int, ...] = (200, 201), ref: dict[str, Any] | None = None, timed: bool = True) -> Any:
        """Do one action (its `occurred_at` is `at` when `timed`), log it, and return the answer; anything unexpected stops the day."""
        if timed and body is not None and "occurred_at" not in body:
            body = {**body, "occurred_at": at.isoformat()}
        headers = self._tokens.header(who.subject, who.role, [self.site_id])
        key = None
        if method == "POST":
            self._keys += 1
            key = f"{self.site_id}:{self._keys}"
            headers = {**headers, "Idempotency-Key": key}
        started = time.monotonic()
        status, answer, attempts = await self._request(service, method, path, headers, body)
        self.stats.call_seconds += time.monotonic() - started
        self.stats.calls += 1
        self.stats.by_action[action] = self.stats.by_action.get(action, 0) + 1
        self._log.write({"kind": "action", "site": self.site_id, "at": at.isoformat(), "actor": who.subject, "role": who.role,
                         "action": action,
                         "service": service, "method": method, "path": path, "idempotency_key": key, "request": body,
                         "status": status, "response": answer, "attempts": attempts, "ref": ref or {}})
        if status not in expect:
            raise SimulationError(f"{action}: {method} {service}{path} answered {status} (expected {expect}): {answer}")
        return answer

    async def get(self, service: str, path: str, who: Who, params: dict[str, Any] | None = None) -> tuple[int, Any]:
        """Read something (not logged: polls log their final answer through `observe`)."""
        headers = self._tokens.header(who.subject, who.role, [self.site_id])
        status, answer, _ = await self._request(service, "GET", path, headers, None, params)
        return status, answer

    async def wait(self, what: str, service: str, path: str, who: Who, at: datetime, ready: Callable[[Any], bool],
                   params: dict[str, Any] | None = None, ref: dict[str, Any] | None = None, timeout: float | None = None) -> Any:
        """Poll a read until `ready(answer)` (bounded); log the answer that was waited for."""
        started = time.monotonic()
        limit = self._wait_seconds if timeout is None else min(timeout, self._wait_seconds)
        deadline = started + limit
        pause, last = 0.02, None
        while True:
            self.stats.polls += 1
            status, last = await self.get(service, path, who, params)
            if status == 200 and ready(last):
                self.stats.wait_seconds += time.monotonic() - started
                self._log.write({"kind": "observe", "site": self.site_id, "at": at.isoformat(), "actor": who.subject,
                                 "role": who.role, "action": what, "service": service, "method": "GET", "path": path,
                                 "params": params, "status": status, "response": last, "ref": ref or {}})
                return last
            if time.monotonic() > deadline:
                raise SimulationError(f"waited {limit:.0f}s for {what} ({service} GET {path}); last answer {status}: {last}")
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 0.5)

    async def _request(self, service: str, method: str, path: str, headers: dict[str, str], body: Any,
                       params: dict[str, Any] | None = None) -> tuple[int, Any, int]:
        deadline = time.monotonic() + self._retry_seconds
        attempts, pause = 0, 0.1
        while True:
            attempts += 1
            try:
                response = await self._clients[service].request(method, path, json=body, params=params, headers=headers)
                answer = _json(response)
                retry = response.status_code in RETRYABLE_STATUS or (
                    response.status_code == 409 and isinstance(answer, dict) and answer.get("type") == IN_FLIGHT)
                if not retry:
                    return response.status_code, answer, attempts
                reason = f"{response.status_code}: {answer}"
            except httpx.TransportError as exc:  # the service is restarting, or the answer was lost: same key again
                reason = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                raise SimulationError(f"{method} {service}{path}: no answer within {self._retry_seconds:.0f}s ({reason})")
            self.stats.retries += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
