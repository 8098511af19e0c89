"""CUSTOM_AUTH's state in the sealed Session (services/auth/sign_in_state.py): the rounds, the
private parameters and the metadata round-trip, the client can't read them, and a state this
server did not write is refused."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.support.inprocess import FrozenClock

from mamori.api.aws.cognito_idp.wire.clients import client_in
from mamori.crypto.aead import Keyring
from mamori.domain.auth.auth_flow import Challenge, Proof
from mamori.domain.errors import NotAuthorizedException
from mamori.services.auth.challenge_session import ChallengeSessionSeal
from mamori.services.auth.sign_in_state import CustomRound, SignIn

rounds = st.lists(
    st.builds(
        CustomRound,
        st.sampled_from(["SRP_A", "PASSWORD_VERIFIER", "CUSTOM_CHALLENGE"]),
        st.booleans(),
        st.none() | st.text(max_size=64),
    ),
    max_size=8,
).map(tuple)
strings = st.dictionaries(st.text(max_size=16), st.text(max_size=32), max_size=4)


@given(rounds, st.none() | strings, st.none() | st.text(max_size=64))
def test_the_custom_state_round_trips(
    custom: tuple[CustomRound, ...], private: dict[str, str] | None, metadata: str | None
) -> None:
    sign_in = SignIn(
        "sub",
        "ann",
        frozenset({Proof.PASSWORD}),
        custom=custom,
        private=private,
        metadata=metadata,
    )
    again = SignIn.from_state("sub", sign_in.state())
    assert (again.custom, again.private, again.metadata) == (custom, private, metadata)


def test_a_sign_in_that_is_not_custom_carries_none_of_it() -> None:
    state = SignIn("sub", "ann").state()
    assert not {"cu", "pv", "cm"} & set(state)
    assert SignIn.from_state("sub", state).custom is None


@pytest.mark.parametrize(
    "bad",
    [{"cu": [["CUSTOM_CHALLENGE", 1]]}, {"cu": [[1, 1, None]]}, {"pv": {"a": 1}}, {"pv": ["a"]}],
)
def test_a_malformed_custom_state_is_an_invalid_session(bad: dict[str, object]) -> None:
    state = {**SignIn("sub", "ann").state(), **bad}
    with pytest.raises(NotAuthorizedException, match=r"^Invalid session for the user\.$"):
        SignIn.from_state("sub", state)


def test_the_private_parameters_are_not_readable_in_the_session() -> None:
    seal = ChallengeSessionSeal(Keyring(secrets.token_bytes(32)), FrozenClock())
    client = client_in({"ClientName": "c"}, "client1")
    sign_in = SignIn("sub", "ann", custom=(), private={"answer": "hunter2-private"})
    session = seal.seal("pool1", client, "sub", Challenge.CUSTOM_CHALLENGE, sign_in.state())
    assert "hunter2" not in session
    _, state = seal.open_state(session, "pool1", "client1", Challenge.CUSTOM_CHALLENGE)
    assert SignIn.from_state("sub", state).private == {"answer": "hunter2-private"}
