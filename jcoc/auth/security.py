"""Secrets: random tokens stored as SHA-256, passwords hashed with Argon2id."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Prefixes tell a leaked secret's kind at a glance (and let secret scanners find them).
API_KEY_PREFIX = "jcoc_ak_"
KIOSK_PREFIX = "jcoc_kt_"
SESSION_PREFIX = "jcoc_s_"


def new_token(prefix: str) -> str:
    """A new random token (256 bits) with a readable prefix."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 of a high-entropy token; enough because tokens are random, not chosen."""
    return hashlib.sha256(token.encode()).hexdigest()


def display_prefix(token: str) -> str:
    """The first characters of a token, safe to show to identify it."""
    return token[: len(API_KEY_PREFIX) + 4]


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches; never raises on a bad hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
