"""ChallengeSessionSeal on a clock the test moves: a sealed Session expires with the client's
AuthSessionValidity and opens only for its pool, client and challenge, under its master key."""

from __future__ import annotations

import secrets

import pytest
from tests.support.inprocess import FrozenClock

from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.crypto.aead import Keyring
from mamori.domain.auth.auth_flow import Challenge
from mamori.domain.errors import NotAuthorizedException
from mamori.services.auth.challenge_session import ChallengeSessionSeal


def test_the_seal_expires_with_the_clients_session_validity() -> None:
    clock = FrozenClock()
    seal = ChallengeSessionSeal(Keyring(secrets.token_bytes(32)), clock)
    client = client_in({"ClientName": "c", "AuthSessionValidity": 3}, "client1")
    sealed = seal.seal("pool1", client, "sub-1", Challenge.NEW_PASSWORD_REQUIRED)
    clock.advance(minutes=2, seconds=59)
    assert seal.open(sealed, "pool1", "client1", Challenge.NEW_PASSWORD_REQUIRED) == "sub-1"
    clock.advance(seconds=1)
    with pytest.raises(NotAuthorizedException, match="session is expired"):
        seal.open(sealed, "pool1", "client1", Challenge.NEW_PASSWORD_REQUIRED)
    for pool_id, client_id, kind in (
        ("pool2", "client1", Challenge.NEW_PASSWORD_REQUIRED),
        ("pool1", "client2", Challenge.NEW_PASSWORD_REQUIRED),
        ("pool1", "client1", Challenge.SMS_MFA),
    ):
        fresh = seal.seal("pool1", client, "sub-1", Challenge.NEW_PASSWORD_REQUIRED)
        with pytest.raises(NotAuthorizedException, match=r"^Invalid session for the user\.$"):
            seal.open(fresh, pool_id, client_id, kind)
    # Another master key can't open it, nor can a seal made for another purpose pass as one.
    other = ChallengeSessionSeal(Keyring(secrets.token_bytes(32)), clock)
    with pytest.raises(NotAuthorizedException):
        other.open(
            seal.seal("pool1", client, "s", Challenge.NEW_PASSWORD_REQUIRED),
            "pool1",
            "client1",
            Challenge.NEW_PASSWORD_REQUIRED,
        )
