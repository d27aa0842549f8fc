"""Creating and resolving API keys, kiosk tokens, users and login sessions."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from jcoc.auth import security
from jcoc.auth.models import ApiKey, KioskToken, LoginSession, Role, User
from jcoc.db.base import utcnow
from jcoc.opd.models import Agency


@dataclass(frozen=True)
class NewSecret:
    """A just-created secret: `token` is shown once and never stored."""

    id: int
    token: str
    prefix: str


async def create_api_key(*, db_session: AsyncSession, agency: Agency, name: str = "") -> NewSecret:
    """Create an API key for one agency; returns the key in clear text once."""
    token = security.new_token(security.API_KEY_PREFIX)
    key = ApiKey(
        agency_id=agency.id,
        name=name,
        prefix=security.display_prefix(token),
        key_hash=security.token_hash(token),
    )
    db_session.add(key)
    await db_session.flush()
    return NewSecret(id=key.id, token=token, prefix=key.prefix)


async def agency_for_api_key(
    *, db_session: AsyncSession, token: str
) -> tuple[ApiKey, Agency] | None:
    """The (key, agency) a live API key belongs to, or None."""
    row = (
        await db_session.execute(
            select(ApiKey, Agency)
            .join(Agency, Agency.id == ApiKey.agency_id)
            .where(ApiKey.key_hash == security.token_hash(token), ApiKey.revoked_at.is_(None))
        )
    ).first()
    return (row[0], row[1]) if row else None


@dataclass(frozen=True, slots=True)
class ApiKeyIdentity:
    """Who a live API key speaks for: the key's id and its agency — never the key itself."""

    key_id: int
    key_name: str
    key_prefix: str
    agency_id: int
    agency_code: str
    agency_name: str


class ApiKeyCache:
    """SHA-256 of a live API key → its identity, kept `ttl_s` seconds; failures never kept.

    Checking the key in the database costs more than a whole push, so each process keeps
    the keys it has seen valid for a few seconds (`JCOC_AUTH_CACHE_SECONDS`). Unknown and
    revoked keys are not remembered, so a new key works at once. `revoke_api_key` drops
    the key here before and after its commit; other processes see it within `ttl_s`.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self.evicted = 0
        self._entries: dict[str, tuple[float, ApiKeyIdentity]] = {}
        # Bumped by every revocation: a lookup that began before it may not be stored.
        self.generation = 0

    def get(self, key_hash: str, ttl_s: float) -> ApiKeyIdentity | None:
        """The cached identity, when it was stored less than `ttl_s` seconds ago."""
        hit = self._entries.get(key_hash)
        if hit is None:
            return None
        if time.monotonic() - hit[0] >= ttl_s:
            self._entries.pop(key_hash, None)
            return None
        return hit[1]

    def put(self, key_hash: str, identity: ApiKeyIdentity, generation: int) -> None:
        """Remember a key found valid by a lookup that started at `generation`."""
        if generation != self.generation:
            return  # a key was revoked meanwhile: this answer may be stale
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))  # the oldest entry
            self.evicted += 1
        self._entries[key_hash] = (time.monotonic(), identity)

    def forget(self, key_id: int) -> None:
        """Drop a key (it was revoked) and invalidate lookups in flight."""
        self.generation += 1
        for key_hash, (_at, identity) in list(self._entries.items()):
            if identity.key_id == key_id:
                del self._entries[key_hash]

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


api_key_cache = ApiKeyCache()


async def api_key_identity(
    *, db_session: AsyncSession, token: str, cache_s: float = 0.0
) -> ApiKeyIdentity | None:
    """Who a live API key speaks for, or None; valid keys are cached `cache_s` seconds."""
    key_hash = security.token_hash(token)
    if cache_s > 0:
        hit = api_key_cache.get(key_hash, cache_s)
        if hit is not None:
            return hit
    generation = api_key_cache.generation
    row = (
        await db_session.execute(
            select(ApiKey.id, ApiKey.name, ApiKey.prefix, Agency.id, Agency.code, Agency.name)
            .join(Agency, Agency.id == ApiKey.agency_id)
            .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
        )
    ).first()
    if row is None:
        return None
    identity = ApiKeyIdentity(*row)
    if cache_s > 0:
        api_key_cache.put(key_hash, identity, generation)
    return identity


async def revoke_api_key(*, db_session: AsyncSession, key_id: int) -> bool:
    """Revoke an API key; False when it does not exist. Refused at once in this process."""
    key = await db_session.get(ApiKey, key_id)
    if key is None:
        return False
    key.revoked_at = key.revoked_at or utcnow()
    api_key_cache.forget(key_id)
    # A request may read the key as live until the commit: forget it again after it.
    event.listen(
        db_session.sync_session, "after_commit", lambda _s: api_key_cache.forget(key_id), once=True
    )
    return True


async def create_kiosk_token(*, db_session: AsyncSession, name: str) -> NewSecret:
    """Create a viewer-only token for a wall display; returned in clear text once."""
    token = security.new_token(security.KIOSK_PREFIX)
    kiosk = KioskToken(
        name=name, prefix=security.display_prefix(token), token_hash=security.token_hash(token)
    )
    db_session.add(kiosk)
    await db_session.flush()
    return NewSecret(id=kiosk.id, token=token, prefix=kiosk.prefix)


async def kiosk_for_token(*, db_session: AsyncSession, token: str) -> KioskToken | None:
    """The live kiosk token matching `token`, or None."""
    return await db_session.scalar(
        select(KioskToken).where(
            KioskToken.token_hash == security.token_hash(token), KioskToken.revoked_at.is_(None)
        )
    )


async def revoke_kiosk_token(*, db_session: AsyncSession, kiosk_id: int) -> bool:
    """Revoke a kiosk token; False when it does not exist."""
    kiosk = await db_session.get(KioskToken, kiosk_id)
    if kiosk is None:
        return False
    kiosk.revoked_at = kiosk.revoked_at or utcnow()
    return True


async def create_user(
    *,
    db_session: AsyncSession,
    username: str,
    password: str,
    role: Role,
    full_name: str = "",
    agency_id: int | None = None,
) -> User:
    """Create a person who logs in; the password is stored as an Argon2id hash."""
    user = User(
        username=username,
        full_name=full_name,
        password_hash=security.hash_password(password),
        role=role,
        agency_id=agency_id,
    )
    db_session.add(user)
    await db_session.flush()
    return user


async def get_user_by_username(*, db_session: AsyncSession, username: str) -> User | None:
    """A user by login name."""
    return await db_session.scalar(select(User).where(User.username == username))


async def authenticate(*, db_session: AsyncSession, username: str, password: str) -> User | None:
    """The active user with this username and password, or None."""
    user = await get_user_by_username(db_session=db_session, username=username)
    if user is None or not user.active:
        # Spend the same time as a real check so usernames cannot be probed by timing.
        security.verify_password(_dummy_hash(), password)
        return None
    return user if security.verify_password(user.password_hash, password) else None


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown users; made on first need, not at import."""
    return security.hash_password("not-a-real-password")


async def create_login_session(
    *, db_session: AsyncSession, user: User, lifetime: timedelta, now: datetime | None = None
) -> tuple[str, LoginSession]:
    """Start a login session; returns the bearer token (shown once) and the session."""
    now = now or utcnow()
    token = security.new_token(security.SESSION_PREFIX)
    sess = LoginSession(
        user_id=user.id,
        token_hash=security.token_hash(token),
        created_at=now,
        expires_at=now + lifetime,
    )
    db_session.add(sess)
    await db_session.flush()
    return token, sess


async def user_for_session_token(
    *, db_session: AsyncSession, token: str, now: datetime | None = None
) -> User | None:
    """The active user behind a live, unexpired session token, or None."""
    now = now or utcnow()
    row = (
        await db_session.execute(
            select(User, LoginSession)
            .join(LoginSession, LoginSession.user_id == User.id)
            .where(
                LoginSession.token_hash == security.token_hash(token),
                LoginSession.revoked_at.is_(None),
            )
        )
    ).first()
    if row is None:
        return None
    user, sess = row
    if sess.expires_at <= now or not user.active:
        return None
    return user


async def end_login_session(*, db_session: AsyncSession, token: str) -> None:
    """Log out: revoke the session behind `token`."""
    sess = await db_session.scalar(
        select(LoginSession).where(LoginSession.token_hash == security.token_hash(token))
    )
    if sess is not None and sess.revoked_at is None:
        sess.revoked_at = utcnow()
