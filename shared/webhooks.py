"""Standard Webhooks signatures: HMAC-SHA256 over `id.timestamp.body`, sent in `webhook-*` headers."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"
VERSION = "v1"
# the development default shared by the OEM simulator and the dealer side; never used in a deployment
DEV_WEBHOOK_SECRET = "whsec_cGl0d2FsbC1vZW0td2ViaG9vay1kZXYtc2VjcmV0"


class WebhookVerificationError(Exception):
    """A webhook whose headers or signature do not check out; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def secret_key(secret: bytes | str) -> bytes:
    """The HMAC key: the base64 payload of a `whsec_...` secret, else the secret's own bytes."""
    raw = secret.encode() if isinstance(secret, str) else secret
    if not raw:
        raise ValueError("the webhook secret is empty")
    if raw.startswith(SECRET_PREFIX.encode()):
        try:
            key = base64.b64decode(raw[len(SECRET_PREFIX) :], validate=True)
        except binascii.Error as exc:
            raise ValueError("a whsec_ secret must carry valid base64 after the prefix") from exc
        if not key:
            raise ValueError("the webhook secret is empty")
        return key
    return raw


def sign(secret: bytes | str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode()}"


def headers(secret: bytes | str, msg_id: str, body: bytes, now: int | None = None) -> dict[str, str]:
    """The three headers to send with `body` (timestamp: `now`, default the current Unix time)."""
    timestamp = int(time.time()) if now is None else int(now)
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, msg_id, timestamp, body),
    }


def _header(received: Mapping[str, str], name: str) -> str:
    value = received.get(name)
    if value is None:
        # a plain dict is case-sensitive; HTTP header names are not
        value = next((v for k, v in received.items() if k.lower() == name), None)
    if value is None or not value.strip():
        raise WebhookVerificationError(f"missing {name} header")
    return value.strip()


def verify(
    secret: bytes | str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_seconds: int = 300,
    now: int | None = None,
) -> str:
    """Check the signature and timestamp of a received webhook; return its id or raise WebhookVerificationError."""
    msg_id = _header(headers, ID_HEADER)
    stamp = _header(headers, TIMESTAMP_HEADER)
    signatures = _header(headers, SIGNATURE_HEADER)
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError(
            f"invalid {TIMESTAMP_HEADER} header: {stamp!r} is not a Unix time in seconds"
        ) from None
    current = int(time.time()) if now is None else int(now)
    if current - timestamp > tolerance_seconds:
        raise WebhookVerificationError(
            f"timestamp too old: {current - timestamp}s in the past, tolerance is {tolerance_seconds}s"
        )
    if timestamp - current > tolerance_seconds:
        raise WebhookVerificationError(
            f"timestamp too new: {timestamp - current}s in the future, tolerance is {tolerance_seconds}s"
        )
    expected = sign(secret, msg_id, timestamp, body).encode()
    matched = False
    for candidate in signatures.split():
        # compare every candidate, so the time taken does not reveal which one matched
        matched |= hmac.compare_digest(candidate.encode(), expected)
    if not matched:
        raise WebhookVerificationError("no matching signature")
    return msg_id
