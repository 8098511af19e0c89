"""The federation state on a clock the test moves: sealed, expiring, for its pool, and bound to
the browser cookie it was sealed with."""

from __future__ import annotations

import secrets

import pytest
from tests.support.inprocess import FrozenClock

from mamori.crypto.aead import Keyring
from mamori.services.federation.states import FederationState, FederationStates, StateError

STATE = FederationState("pool1", "Corp", {"client_id": "c", "state": "s"}, "nonce", "verifier")


def test_a_state_opens_in_its_browser_until_it_expires() -> None:
    clock = FrozenClock()
    states = FederationStates(Keyring(secrets.token_bytes(32)), clock)
    sealed = states.seal(STATE, "cookie-1")
    assert "verifier" not in sealed and "nonce" not in sealed
    assert states.open(sealed, "pool1", "cookie-1") == STATE
    clock.advance(minutes=14, seconds=59)
    assert states.open(sealed, "pool1", "cookie-1") == STATE
    clock.advance(seconds=1)
    with pytest.raises(StateError, match="expired"):
        states.open(sealed, "pool1", "cookie-1")


@pytest.mark.parametrize(
    ("pool", "cookie", "reason"),
    [
        ("pool2", "cookie-1", "another pool"),
        ("pool1", "cookie-2", "another browser"),
        ("pool1", None, "another browser"),
    ],
)
def test_a_state_opens_nowhere_else(pool: str, cookie: str | None, reason: str) -> None:
    states = FederationStates(Keyring(secrets.token_bytes(32)), FrozenClock())
    with pytest.raises(StateError, match=reason):
        states.open(states.seal(STATE, "cookie-1"), pool, cookie)


def test_a_forged_state_is_refused() -> None:
    clock = FrozenClock()
    states = FederationStates(Keyring(secrets.token_bytes(32)), clock)
    other = FederationStates(Keyring(secrets.token_bytes(32)), clock)
    for forged in ("", "x" * 10, other.seal(STATE, "cookie-1"), "a" * 9000):
        with pytest.raises(StateError):
            states.open(forged or None, "pool1", "cookie-1")


def test_a_posted_answer_comes_back_once_sealed_for_two_minutes() -> None:
    clock = FrozenClock()
    states = FederationStates(Keyring(secrets.token_bytes(32)), clock)
    answer = {"code": "c0de", "state": "s", "user": '{"name": {"firstName": "Ann"}}'}
    sealed = states.seal_return(answer)
    assert "c0de" not in sealed and "Ann" not in sealed
    assert states.open_return(sealed) == answer
    clock.advance(minutes=2)
    with pytest.raises(StateError, match="expired"):
        states.open_return(sealed)


def test_a_return_is_not_a_state_nor_a_state_a_return() -> None:
    states = FederationStates(Keyring(secrets.token_bytes(32)), FrozenClock())
    with pytest.raises(StateError):
        states.open_return(states.seal(STATE, "cookie-1"))
    with pytest.raises(StateError):
        states.open(states.seal_return({"code": "c"}), "pool1", "cookie-1")
    for forged in (None, "", "a" * 9000, "v1.x.y"):
        with pytest.raises(StateError):
            states.open_return(forged)
