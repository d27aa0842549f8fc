"""HMAC-SHA256 signatures of webhook bodies (`X-JCOC-Signature: sha256=<hex>`)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-JCOC-Signature"
TIMESTAMP_HEADER = "X-JCOC-Timestamp"
EVENT_HEADER = "X-JCOC-Event"
DELIVERY_HEADER = "X-JCOC-Delivery"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for `body` under `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Whether `signature` is the one `sign(secret, body)` gives (constant time)."""
    return hmac.compare_digest(sign(secret, body), signature)
