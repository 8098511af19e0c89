"""Issue 9 item 4: a token naming an unknown `kid` costs what a valid one costs. Signing keys are
re-read from the store at most once per interval per pool (or for the identity issuer), only
new keys are parsed, and key generation, unsealing and parsing run off the event loop. The real
SQL stores, counted; the clock frozen."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from tests.support.inprocess import FrozenClock, fresh_database
from tests.support.stores import Stores, open_stores

from mamori.adapters.store.sql.keys import SqlKeyStore
from mamori.crypto.aead import Keyring
from mamori.crypto.jose import TokenError
from mamori.domain.errors import NotAuthorizedException
from mamori.domain.identity.identity_pool import Identity, IdentityId, IdentityPoolId
from mamori.services.tokens.identity_tokens import IdentityTokenService
from mamori.services.tokens.keys import KeyService
from mamori.services.tokens.pool_tokens import TokenService
from mamori.services.tokens.ports import SealedKey

pytestmark = pytest.mark.anyio
ISSUER = "http://mamori.test"
INTERVAL = timedelta(seconds=30)


class CountedKeys(SqlKeyStore):
    """The real store, counting how often a pool's (or the identity issuer's) keys are read."""

    reads = 0

    async def keys_of(self, owner: str) -> Sequence[SealedKey]:
        self.reads += 1
        return await super().keys_of(owner)


class WatchedKeyring(Keyring):
    """The real keyring, noting which threads seal and open keys (RSA work goes with them)."""

    def __init__(self, master: bytes) -> None:
        super().__init__(master)
        self.threads: list[threading.Thread] = []

    def seal(self, plaintext: bytes, purpose: str) -> str:
        self.threads.append(threading.current_thread())
        return super().seal(plaintext, purpose)

    def open(self, sealed: str, purpose: str) -> bytes:
        self.threads.append(threading.current_thread())
        return super().open(sealed, purpose)


def _segment(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def forged(iss: str, kid: str | None = None) -> str:
    """A token naming `iss` and a random kid, with a signature nobody made."""
    header = {"alg": "RS256", "kid": kid or secrets.token_hex(16)}
    return f"{_segment(header)}.{_segment({'iss': iss, 'exp': 2**40})}.AAAA"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    with fresh_database(tmp, request.param) as url:
        yield url


@pytest.fixture()
async def stores(database: str) -> AsyncIterator[Stores]:
    async with open_stores(database) as opened:
        yield opened


def process(stores: Stores, master: bytes, clock: FrozenClock) -> tuple[KeyService, TokenService]:
    """One server process's key service and token checks over the shared store."""
    keyring = WatchedKeyring(master)
    keys = KeyService(
        CountedKeys(stores.engine), keyring, clock, anyio.CapacityLimiter(1), INTERVAL
    )
    tokens = TokenService(
        keys, stores.sessions, stores.users, stores.groups, keyring, clock, ISSUER
    )
    return keys, tokens


async def test_forged_kids_read_a_pools_keys_once_per_interval(stores: Stores) -> None:
    clock, master = FrozenClock(), secrets.token_bytes(32)
    pool, user = await stores.pool(), None
    client = await stores.client(pool)
    user = await stores.user(pool)
    maker, maker_tokens = process(stores, master, clock)
    await maker.create_for_pool(pool.id)
    valid = (await maker_tokens.issue(pool, client, user)).access_token

    keys, tokens = process(stores, master, clock)  # another process, nothing cached yet
    store = keys._store
    assert isinstance(store, CountedKeys)
    assert (await tokens.check_access_token(valid)).user.sub == user.sub
    assert store.reads == 1
    for _ in range(200):
        with pytest.raises(NotAuthorizedException) as exc:
            await tokens.check_access_token(forged(f"{ISSUER}/{pool.id}"))
        assert exc.value.message == "Invalid Access Token"
    assert store.reads == 1  # the old code read (and parsed) the pool's keys 200 more times
    clock.advance(seconds=29)
    with pytest.raises(NotAuthorizedException):
        await tokens.check_access_token(forged(f"{ISSUER}/{pool.id}"))
    assert store.reads == 1
    clock.advance(seconds=1)
    for _ in range(50):
        with pytest.raises(NotAuthorizedException):
            await tokens.check_access_token(forged(f"{ISSUER}/{pool.id}"))
    assert store.reads == 2  # once per interval
    # Concurrent forged tokens after the interval: still one read.
    clock.advance(seconds=30)

    async def attempt() -> None:
        with pytest.raises(NotAuthorizedException):
            await tokens.check_access_token(forged(f"{ISSUER}/{pool.id}"))

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(attempt)
    assert store.reads == 3
    assert (await tokens.check_access_token(valid)).user.sub == user.sub
    # Generating, sealing, unsealing and parsing keys never ran on the event loop's thread.
    for service in (maker, keys):
        watched = service._keyring
        assert isinstance(watched, WatchedKeyring) and watched.threads
        assert threading.current_thread() not in watched.threads


async def test_a_new_key_is_picked_up_after_the_interval(stores: Stores) -> None:
    clock, master = FrozenClock(), secrets.token_bytes(32)
    pool = await stores.pool()
    client = await stores.client(pool)
    user = await stores.user(pool)
    first, first_tokens = process(stores, master, clock)
    await first.create_for_pool(pool.id)
    old = (await first_tokens.issue(pool, client, user)).access_token
    keys, tokens = process(stores, master, clock)
    assert (await tokens.check_access_token(old)).user.sub == user.sub
    loaded = await keys.signing_key(pool.id)

    # Another process adds a newer key (as a rotation would) and signs with it.
    clock.advance(seconds=1)
    await first.create_for_pool(pool.id)
    _, rotated_tokens = process(stores, master, clock)
    new = (await rotated_tokens.issue(pool, client, user)).access_token
    with pytest.raises(NotAuthorizedException):
        await tokens.check_access_token(new)  # read 1 s ago: not again before the interval
    clock.advance(seconds=29)
    assert (await tokens.check_access_token(new)).user.sub == user.sub
    assert (await tokens.check_access_token(old)).user.sub == user.sub
    # Only the new key was parsed: the old one is the same object, and signing moved on.
    jwks = await keys.jwks(pool.id)
    assert len(jwks["keys"]) == 2
    watched = keys._keyring
    assert isinstance(watched, WatchedKeyring) and len(watched.threads) == 2
    assert (await keys.verification_key(pool.id, loaded.kid)) is loaded
    assert (await keys.signing_key(pool.id)).kid != loaded.kid


async def test_forged_kids_read_the_identity_issuers_keys_once_per_interval(
    stores: Stores,
) -> None:
    clock, master = FrozenClock(), secrets.token_bytes(32)

    def issuer() -> tuple[IdentityTokenService, CountedKeys, WatchedKeyring]:
        store, keyring = CountedKeys(stores.engine), WatchedKeyring(master)
        keys = KeyService(store, keyring, clock, anyio.CapacityLimiter(1), INTERVAL)
        service = IdentityTokenService(keys, clock, f"{ISSUER}/identity", timedelta(minutes=10))
        return service, store, keyring

    signer, _, signer_ring = issuer()
    identity = Identity(
        IdentityId("eu-west-1:" + "0" * 36),
        IdentityPoolId("eu-west-1:" + "1" * 36),
        clock.now(),
        clock.now(),
        (),
    )
    valid = await signer.sign(identity, ["unauthenticated"], {})
    verifier, store, ring = issuer()
    assert (await verifier.verify(valid))["sub"] == identity.id
    reads = store.reads
    for _ in range(100):
        with pytest.raises(TokenError):
            await verifier.verify(forged(f"{ISSUER}/identity"))
    assert store.reads == reads  # the old code read the store for each of them
    clock.advance(seconds=30)
    for _ in range(10):
        with pytest.raises(TokenError):
            await verifier.verify(forged(f"{ISSUER}/identity"))
    assert store.reads == reads + 1
    for watched in (signer_ring, ring):
        assert watched.threads and threading.current_thread() not in watched.threads
