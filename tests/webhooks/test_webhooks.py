"""Standard Webhooks signing and verification."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from shared import webhooks
from shared.webhooks import WebhookVerificationError

KEY = b"\x01\x02secret-key-bytes\xff"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
MSG_ID = "msg_2Lq0fW7"
NOW = 1_760_000_000
BODY = b'{"type":"claim.accepted","data":{"claim_id":"C-1","approved_amount":"120.50"}}'


def by_hand(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def test_sign_matches_a_hand_computed_hmac_over_id_timestamp_body() -> None:
    assert webhooks.sign(SECRET, MSG_ID, NOW, BODY) == by_hand(KEY, MSG_ID, NOW, BODY)
    assert webhooks.sign(SECRET.encode(), MSG_ID, NOW, BODY) == by_hand(KEY, MSG_ID, NOW, BODY)


def test_a_raw_text_secret_is_used_as_its_bytes() -> None:
    assert webhooks.sign("plain-text-secret", MSG_ID, NOW, BODY) == by_hand(b"plain-text-secret", MSG_ID, NOW, BODY)
    assert webhooks.sign(b"plain-text-secret", MSG_ID, NOW, BODY) == by_hand(b"plain-text-secret", MSG_ID, NOW, BODY)


def test_the_standard_webhooks_reference_vector() -> None:
    # the example secret and message of the Standard Webhooks specification's test suite
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert webhooks.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_headers_carry_id_timestamp_and_signature() -> None:
    sent = webhooks.headers(SECRET, MSG_ID, BODY, now=NOW)
    assert sent == {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(NOW),
        "webhook-signature": by_hand(KEY, MSG_ID, NOW, BODY),
    }


def test_verify_returns_the_webhook_id() -> None:
    sent = webhooks.headers(SECRET, MSG_ID, BODY, now=NOW)
    assert webhooks.verify(SECRET, sent, BODY, now=NOW + 10) == MSG_ID


def test_verify_reads_header_names_case_insensitively() -> None:
    sent = {k.title(): v for k, v in webhooks.headers(SECRET, MSG_ID, BODY, now=NOW).items()}
    assert "Webhook-Signature" in sent
    assert webhooks.verify(SECRET, sent, BODY, now=NOW) == MSG_ID


def test_verify_with_the_current_time_by_default() -> None:
    sent = webhooks.headers(SECRET, MSG_ID, BODY)
    assert webhooks.verify(SECRET, sent, BODY) == MSG_ID


def reason(secret: str | bytes, sent: dict[str, str], body: bytes, **kwargs: int) -> str:
    with pytest.raises(WebhookVerificationError) as caught:
        webhooks.verify(secret, sent, body, **kwargs)
    return caught.value.reason


def test_a_tampered_body_has_no_matching_signature() -> None:
    sent = webhooks.headers(SECRET, MSG_ID, BODY, now=NOW)
    tampered = BODY.replace(b"120.50", b"920.50")
    assert reason(SECRET, sent, tampered, now=NOW) == "no matching signature"


def test_a_tampered_id_or_timestamp_has_no_matching_signature() -> None:
    sent = webhooks.headers(SECRET, MSG_ID, BODY, now=NOW)
    assert reason(SECRET, {**sent, "webhook-id": "msg_other"}, BODY, now=NOW) == "no matching signature"
    assert reason(SECRET, {**sent, "webhook-timestamp": str(NOW + 1)}, BODY, now=NOW) == "no matching signature"


def test_the_wrong_secret_has_no_matching_signature() -> None:
    sent = webhooks.headers(SECRET, MSG_ID, BODY, now=NOW)
    assert reason("whsec_" + base64.b64encode(b"another key").decode(), sent, BODY, now=NOW) == "no matching signature"
    # the whsec_ text itself is not the key
    assert reason(SECRET.removeprefix("whsec_"), sent, BODY, now=NOW) == "no matching signature"


def test_a_stale_timestamp_is_refused_even_with_a_valid_signature() -> None:
    sent = webhooks.headers(SECRET, MSG_ID, BODY, now=NOW)
    assert webhooks.verify(SECRET, sent, BODY, now=NOW + 300) == MSG_ID
    assert reason(SECRET, sent, BODY, now=NOW + 301) == "timestamp too old: 301s in the past, tolerance is 300s"
    assert reason(SECRET, sent, BODY, now=NOW + 61, tolerance_seconds=60) == (
        "timestamp too old: 61s in the past, tolerance is 60s"
    )


def test_a_future_timestamp_is_refused() -> None:
    sent = webhooks.headers(SECRET, MSG_ID, BODY, now=NOW)
    assert webhooks.verify(SECRET, sent, BODY, now=NOW - 300) == MSG_ID
    assert reason(SECRET, sent, BODY, now=NOW - 301) == "timestamp too new: 301s in the future, tolerance is 300s"


def test_missing_and_malformed_headers_are_named() -> None:
    sent = webhooks.headers(SECRET, MSG_ID, BODY, now=NOW)
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        partial = {k: v for k, v in sent.items() if k != name}
        assert reason(SECRET, partial, BODY, now=NOW) == f"missing {name} header"
    assert reason(SECRET, {**sent, "webhook-signature": "  "}, BODY, now=NOW) == "missing webhook-signature header"
    assert reason(SECRET, {**sent, "webhook-timestamp": "2026-01-01T00:00:00Z"}, BODY, now=NOW) == (
        "invalid webhook-timestamp header: '2026-01-01T00:00:00Z' is not a Unix time in seconds"
    )


def test_any_of_several_signatures_may_match_during_key_rotation() -> None:
    old_key, new_key = "whsec_" + base64.b64encode(b"old key").decode(), SECRET
    both = f"{webhooks.sign(old_key, MSG_ID, NOW, BODY)} {webhooks.sign(new_key, MSG_ID, NOW, BODY)}"
    sent = {"webhook-id": MSG_ID, "webhook-timestamp": str(NOW), "webhook-signature": both}
    assert webhooks.verify(old_key, sent, BODY, now=NOW) == MSG_ID
    assert webhooks.verify(new_key, sent, BODY, now=NOW) == MSG_ID
    assert reason("whsec_" + base64.b64encode(b"third key").decode(), sent, BODY, now=NOW) == "no matching signature"


def test_signatures_of_other_versions_are_ignored() -> None:
    digest = webhooks.sign(SECRET, MSG_ID, NOW, BODY).removeprefix("v1,")
    sent = {"webhook-id": MSG_ID, "webhook-timestamp": str(NOW), "webhook-signature": f"v2,{digest} v1a,{digest}"}
    assert reason(SECRET, sent, BODY, now=NOW) == "no matching signature"


def test_unusable_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        webhooks.sign("", MSG_ID, NOW, BODY)
    with pytest.raises(ValueError, match="base64"):
        webhooks.sign("whsec_not*base64", MSG_ID, NOW, BODY)
