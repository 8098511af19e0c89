"""Server-side SRP against real clients' math: pycognito in-process, the JS libraries in Node."""

from __future__ import annotations

import base64
import json
import re
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycognito import aws_srp

from mamori.crypto import srp

POOL_ID = "us-east-1_Srp0Test1"
REALM = srp.pool_name(POOL_ID)
NOW = datetime(2026, 11, 26, 23, 59, 34, tzinfo=UTC)
SRP_CLIENT = Path(__file__).parents[2] / "node" / "srp_client.mjs"
JS_CLIENTS = ["cognito-identity-js", "amplify"]

# pycognito stamps its answers with datetime.utcnow(), deprecated from Python 3.12.
pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")

# Names and passwords as they arrive from JSON: any text without lone surrogates (pycognito
# cannot encode those; the JS clients are checked with one separately).
texts = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)


class NotAuthorized(Exception):
    pass


@dataclass
class Pending:
    challenge: srp.ServerChallenge
    verifier: srp.Verifier
    realm: str
    user_id: str


class FakeCognito:
    """Just enough of InitiateAuth / RespondToAuthChallenge for pycognito's AWSSRP, on srp.py.

    SECRET_BLOCK is a random handle to server-side state here; mamori seals the state into it.
    """

    def __init__(self, pool_id: str) -> None:
        self.realm = srp.pool_name(pool_id)
        self.users: dict[str, srp.Verifier] = {}
        self.devices: dict[str, tuple[str, srp.Verifier]] = {}
        self.pending: dict[bytes, Pending] = {}
        self.challenges: list[str] = []

    def _challenge(
        self, name: str, verifier: srp.Verifier, srp_a: str, realm: str, user_id: str, username: str
    ) -> dict[str, Any]:
        challenge = srp.start(verifier, srp.parse_srp_a(srp_a))
        block = secrets.token_bytes(32)
        self.pending[block] = Pending(challenge, verifier, realm, user_id)
        self.challenges.append(name)
        return {
            "ChallengeName": name,
            "ChallengeParameters": {
                "SALT": verifier.salt_hex,
                "SRP_B": challenge.srp_b,
                "SECRET_BLOCK": base64.b64encode(block).decode(),
                "USERNAME": username,
                "USER_ID_FOR_SRP": user_id,
            },
        }

    def _check(self, responses: dict[str, str]) -> None:
        block = base64.b64decode(responses["PASSWORD_CLAIM_SECRET_BLOCK"])
        pending = self.pending.pop(block, None)
        if pending is None or not srp.check_claim(
            pending.verifier,
            pending.challenge,
            realm=pending.realm,
            user_id=pending.user_id,
            secret_block=block,
            timestamp=responses["TIMESTAMP"],
            signature_b64=responses["PASSWORD_CLAIM_SIGNATURE"],
            now=datetime.now(UTC),
        ):
            raise NotAuthorized("Incorrect username or password.")

    def initiate_auth(
        self, *, AuthFlow: str, AuthParameters: dict[str, str], ClientId: str
    ) -> dict[str, Any]:
        assert AuthFlow == "USER_SRP_AUTH"
        username = AuthParameters["USERNAME"]
        return self._challenge(
            "PASSWORD_VERIFIER",
            self.users[username],
            AuthParameters["SRP_A"],
            self.realm,
            username,
            username,
        )

    def respond_to_auth_challenge(
        self, *, ClientId: str, ChallengeName: str, ChallengeResponses: dict[str, str], **_: Any
    ) -> dict[str, Any]:
        responses = ChallengeResponses
        if ChallengeName == "DEVICE_SRP_AUTH":
            group, verifier = self.devices[responses["DEVICE_KEY"]]
            return self._challenge(
                "DEVICE_PASSWORD_VERIFIER",
                verifier,
                responses["SRP_A"],
                group,
                responses["DEVICE_KEY"],
                responses["USERNAME"],
            )
        assert ChallengeName in ("PASSWORD_VERIFIER", "DEVICE_PASSWORD_VERIFIER")
        self._check(responses)
        if ChallengeName == "PASSWORD_VERIFIER" and responses.get("DEVICE_KEY") in self.devices:
            return {"ChallengeName": "DEVICE_SRP_AUTH", "ChallengeParameters": {}}
        return {"AuthenticationResult": {"AccessToken": "ok"}}


def pycognito_sign_in(server: FakeCognito, username: str, password: str, **device: str) -> None:
    aws_srp.AWSSRP(
        username, password, POOL_ID, "client", client=server, **device
    ).authenticate_user()


# --- pycognito, the Python client ----------------------------------------------------------


def test_group_constants_are_the_clients() -> None:
    assert aws_srp.hex_to_long(aws_srp.N_HEX) == srp.N
    assert aws_srp.hex_to_long(aws_srp.G_HEX) == srp.G
    assert aws_srp.AWSSRP("u", "p", POOL_ID, "c", client=object()).val_k == srp.K


@given(st.integers(min_value=0, max_value=1 << 3100))
def test_pad_hex_is_the_clients(value: int) -> None:
    assert srp.pad_hex(value) == aws_srp.pad_hex(value)


def test_pad_hex_examples_from_authentication_helper() -> None:
    # The positive cases of AuthenticationHelper.padHex's doc comment.
    assert [srp.pad_hex(v) for v in (20, 56, 236, 200, 0)] == ["14", "38", "00ec", "00c8", "00"]


def test_pycognito_signs_in() -> None:
    server = FakeCognito(POOL_ID)
    server.users["alice"] = srp.make_verifier(REALM, "alice", "Passw0rd!")
    pycognito_sign_in(server, "alice", "Passw0rd!")
    assert server.challenges == ["PASSWORD_VERIFIER"]


def test_pycognito_wrong_password_fails() -> None:
    server = FakeCognito(POOL_ID)
    server.users["alice"] = srp.make_verifier(REALM, "alice", "Passw0rd!")
    with pytest.raises(NotAuthorized):
        pycognito_sign_in(server, "alice", "Passw0rd?")


def test_verifier_binds_pool_name_and_user_id() -> None:
    server = FakeCognito(POOL_ID)
    server.users["alice"] = srp.make_verifier("OtherPool", "alice", "Passw0rd!")
    server.users["bob"] = srp.make_verifier(REALM, "alice", "Passw0rd!")
    for username in ("alice", "bob"):
        with pytest.raises(NotAuthorized):
            pycognito_sign_in(server, username, "Passw0rd!")


@pytest.mark.parametrize(
    "salt",
    [b"\x00\x00\x12" + bytes(13), b"\x80" + bytes(15), b"\x00", b"\x7f" * 16, b"\x00\x9a" * 8],
)
def test_salts_the_clients_reencode(salt: bytes) -> None:
    # Leading zero bytes and a set top bit change the client's padHex(SALT); salt_hex must match.
    server = FakeCognito(POOL_ID)
    server.users["alice"] = srp.make_verifier(REALM, "alice", "Passw0rd!", salt=salt)
    pycognito_sign_in(server, "alice", "Passw0rd!")


def test_pycognito_device_sign_in() -> None:
    server = FakeCognito(POOL_ID)
    server.users["alice"] = srp.make_verifier(REALM, "alice", "Passw0rd!")
    group, key = "-abcDEF123", "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"
    device_password, config = aws_srp.generate_hash_device(group, key)
    server.devices[key] = (
        group,
        srp.device_verifier_from_client(config["Salt"], config["PasswordVerifier"]),
    )
    device = {"device_key": key, "device_group_key": group}
    pycognito_sign_in(server, "alice", "Passw0rd!", device_password=device_password, **device)
    assert server.challenges == ["PASSWORD_VERIFIER", "DEVICE_PASSWORD_VERIFIER"]
    with pytest.raises(NotAuthorized):
        pycognito_sign_in(server, "alice", "Passw0rd!", device_password="guess", **device)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(username=texts, password=texts)
def test_pycognito_round_trip_any_text(username: str, password: str) -> None:
    server = FakeCognito(POOL_ID)
    server.users[username] = srp.make_verifier(REALM, username, password)
    pycognito_sign_in(server, username, password)


# --- the claim check itself ----------------------------------------------------------------


@dataclass
class Exchange:
    verifier: srp.Verifier
    challenge: srp.ServerChallenge
    block: bytes
    answer: dict[str, str]

    def check(self, **changes: Any) -> bool:
        args: dict[str, Any] = {
            "realm": REALM,
            "user_id": "alice",
            "secret_block": self.block,
            "timestamp": self.answer["TIMESTAMP"],
            "signature_b64": self.answer["PASSWORD_CLAIM_SIGNATURE"],
            "now": srp.parse_timestamp(self.answer["TIMESTAMP"]),
        }
        return srp.check_claim(self.verifier, self.challenge, **(args | changes))


@pytest.fixture
def exchange() -> Exchange:
    """One PASSWORD_VERIFIER answer from pycognito's client code, not yet checked."""
    verifier = srp.make_verifier(REALM, "alice", "Passw0rd!")
    client = aws_srp.AWSSRP("alice", "Passw0rd!", POOL_ID, "c", client=object())
    challenge = srp.start(verifier, srp.parse_srp_a(client.get_auth_params()["SRP_A"]))
    block = secrets.token_bytes(64)
    params = {
        "USERNAME": "alice",
        "USER_ID_FOR_SRP": "alice",
        "SALT": verifier.salt_hex,
        "SRP_B": challenge.srp_b,
        "SECRET_BLOCK": base64.b64encode(block).decode(),
    }
    answer = client.process_challenge(params, {"USERNAME": "alice"})
    return Exchange(verifier, challenge, block, answer)


def test_claim_verifies(exchange: Exchange) -> None:
    assert exchange.check()


def test_tampered_signature_fails(exchange: Exchange) -> None:
    raw = bytearray(base64.b64decode(exchange.answer["PASSWORD_CLAIM_SIGNATURE"]))
    raw[5] ^= 1
    for signature in (base64.b64encode(raw).decode(), "", "not base64!", "é", "AAAA"):
        assert not exchange.check(signature_b64=signature)


def test_other_secret_block_fails(exchange: Exchange) -> None:
    assert not exchange.check(secret_block=exchange.block[:-1] + bytes([exchange.block[-1] ^ 1]))
    assert not exchange.check(secret_block=b"")


def test_claim_is_bound_to_realm_user_and_challenge(exchange: Exchange) -> None:
    assert not exchange.check(realm="Srp0Test2")
    assert not exchange.check(user_id="alicE")
    other = srp.start(exchange.verifier, exchange.challenge.A)
    assert not srp.check_claim(
        exchange.verifier,
        other,
        realm=REALM,
        user_id="alice",
        secret_block=exchange.block,
        timestamp=exchange.answer["TIMESTAMP"],
        signature_b64=exchange.answer["PASSWORD_CLAIM_SIGNATURE"],
        now=datetime.now(UTC),
    )


def test_timestamp_is_signed_and_must_be_fresh(exchange: Exchange) -> None:
    signed_at = srp.parse_timestamp(exchange.answer["TIMESTAMP"])
    assert signed_at is not None
    assert abs(signed_at - datetime.now(UTC)) < timedelta(minutes=1)
    later = srp.format_timestamp(signed_at + timedelta(seconds=1))
    assert not exchange.check(timestamp=later)
    assert exchange.check(now=signed_at + timedelta(minutes=5))
    assert exchange.check(now=signed_at - timedelta(minutes=5))
    assert not exchange.check(now=signed_at + timedelta(minutes=5, seconds=1))
    assert not exchange.check(now=signed_at - timedelta(minutes=5, seconds=1))
    assert exchange.check(now=signed_at + timedelta(minutes=9), skew=timedelta(minutes=10))


def test_padded_day_is_refused_even_when_signed() -> None:
    # Cognito: "Nov 05" fails on AWS although the HMAC covers whatever string was sent.
    verifier = srp.make_verifier(REALM, "alice", "pw")
    challenge = srp.start(verifier, 5)
    now = datetime(2026, 11, 5, 9, 4, 3, tzinfo=UTC)
    for timestamp, ok in (
        ("Thu Nov 5 09:04:03 UTC 2026", True),
        ("Thu Nov 05 09:04:03 UTC 2026", False),
    ):
        signature = srp.claim_signature(
            verifier,
            challenge,
            realm=REALM,
            user_id="alice",
            secret_block=b"x",
            timestamp=timestamp,
        )
        claim = {"realm": REALM, "user_id": "alice", "secret_block": b"x", "now": now}
        assert (
            srp.check_claim(
                verifier,
                challenge,
                timestamp=timestamp,
                signature_b64=base64.b64encode(signature).decode(),
                **claim,
            )
            is ok
        )


@pytest.mark.parametrize(
    "srp_a",
    [
        "0",
        "00",
        srp.N_HEX,
        srp.N_HEX.lower(),
        f"{srp.N + 1:x}",
        f"{2 * srp.N:x}",
        "",
        "0x12",
        " 12",
        "12 ",
        "-12",
        "+12",
        "1_2",
        "12g",
        "١٢",
        "1" * 800,
    ],
)
def test_bad_srp_a_is_refused(srp_a: str) -> None:
    with pytest.raises(srp.SrpError):
        srp.parse_srp_a(srp_a)


def test_srp_a_accepts_any_client_form() -> None:
    assert srp.parse_srp_a("1") == 1
    assert srp.parse_srp_a("00ABcd") == 0xABCD
    assert srp.parse_srp_a(f"{srp.N - 1:x}") == srp.N - 1


@pytest.mark.parametrize("big_a", [0, srp.N, srp.N + 1, -1, 2 * srp.N])
def test_start_refuses_a_multiple_of_n_or_out_of_range(big_a: int) -> None:
    with pytest.raises(srp.SrpError):
        srp.start(srp.make_verifier(REALM, "alice", "pw"), big_a)


def test_start_is_fresh_and_b_is_secret() -> None:
    verifier = srp.make_verifier(REALM, "alice", "pw")
    first, second = srp.start(verifier, 12345), srp.start(verifier, 12345)
    assert first.B != second.B and first.b != second.b
    assert 0 < first.B < srp.N and first.b.bit_length() == 256
    assert str(first.b) not in repr(first) and str(first.B) in repr(first)
    assert str(verifier.verifier) not in repr(verifier)
    # RFC 5054 2.6: B = k*v + g^b % N.
    with pytest.raises(srp.SrpError):
        srp.start(verifier, 12345, b=1 << 256)
    fixed = srp.start(verifier, 12345, b=7)
    assert (srp.K * verifier.verifier + pow(2, 7, srp.N)) % srp.N == fixed.B


def test_state_and_verifier_serialise() -> None:
    verifier = srp.make_verifier(REALM, "alice", "pw", salt=b"\x00\x01")
    assert srp.Verifier.from_bytes(verifier.to_bytes()) == verifier
    challenge = srp.start(verifier, srp.N - 1)
    packed = challenge.to_bytes()
    assert len(packed) == 800 and srp.ServerChallenge.from_bytes(packed) == challenge
    for bad in (b"", packed[:-1], packed + b"\x00"):
        with pytest.raises(srp.SrpError):
            srp.ServerChallenge.from_bytes(bad)
    for bad in (b"", b"\x05abc", verifier.to_bytes()[:-1]):
        with pytest.raises(srp.SrpError):
            srp.Verifier.from_bytes(bad)


def test_decoy_verifier_is_stable_and_unusable() -> None:
    key = secrets.token_bytes(32)
    decoy = srp.decoy_verifier(key, REALM, "ghost")
    assert decoy == srp.decoy_verifier(key, REALM, "ghost")
    assert decoy.salt != srp.decoy_verifier(key, REALM, "ghost2").salt
    assert decoy.salt != srp.decoy_verifier(secrets.token_bytes(32), REALM, "ghost").salt
    assert 0 < decoy.verifier < srp.N and len(decoy.salt) == 16
    server = FakeCognito(POOL_ID)
    server.users["ghost"] = decoy
    with pytest.raises(NotAuthorized):
        pycognito_sign_in(server, "ghost", "")


@pytest.mark.parametrize(
    ("salt", "verifier"),
    [
        ("", "AQ=="),
        ("AQ==", ""),
        ("AQ==", "AA=="),
        ("AQ==", base64.b64encode(srp.N.to_bytes(384)).decode()),
        ("AQ", "AQ=="),
        ("AQ==", "A Q=="),
        ("AQ==", "AQ==" * 200),
        ("Zm9v*", "AQ=="),
    ],
)
def test_bad_device_verifier_is_refused(salt: str, verifier: str) -> None:
    with pytest.raises(srp.SrpError):
        srp.device_verifier_from_client(salt, verifier)


# --- TIMESTAMP -----------------------------------------------------------------------------


@given(st.datetimes(timezones=st.just(UTC)))
def test_timestamp_format_is_pycognitos(moment: datetime) -> None:
    expected = aws_srp.AWSSRP.get_cognito_formatted_timestamp(moment.replace(tzinfo=None))
    formatted = srp.format_timestamp(moment)
    assert formatted == expected
    assert srp.parse_timestamp(formatted) == moment.replace(microsecond=0)


def test_timestamp_examples() -> None:
    assert srp.format_timestamp(NOW) == "Thu Nov 26 23:59:34 UTC 2026"
    eastern = datetime(2026, 3, 1, 0, 5, 9, tzinfo=UTC).astimezone(timezone(timedelta(hours=-5)))
    assert srp.format_timestamp(eastern) == "Sun Mar 1 00:05:09 UTC 2026"
    with pytest.raises(ValueError, match="aware"):
        srp.format_timestamp(datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        srp.timestamp_ok("Thu Nov 26 23:59:34 UTC 2026", datetime(2026, 1, 1))  # noqa: DTZ001


@pytest.mark.parametrize(
    "text",
    [
        "Thu Nov 26 23:59:34 UTC 2026 ",
        " Thu Nov 26 23:59:34 UTC 2026",
        "Wed Nov 26 23:59:34 UTC 2026",
        "Thu Nov 26 23:59:34 GMT 2026",
        "thu nov 26 23:59:34 UTC 2026",
        "Thu Nov  26 23:59:34 UTC 2026",
        "Thu Nov 26 23:59:34 UTC 02026",
        "Thu Nov 26 23:59:60 UTC 2026",
        "Thu Nov 26 24:00:00 UTC 2026",
        "Thu Nov 26 3:59:34 UTC 2026",
        "Mon Nov 31 23:59:34 UTC 2026",
        "Thu Nov 0 23:59:34 UTC 2026",
        "Thu Foo 26 23:59:34 UTC 2026",
        "Thu Nov 26 23:59:34 UTC 2026\n",
        "Do Nov 26 23:59:34 UTC 2026",
        "Thu Nov 26 23:59:34.5 UTC 2026",
        "Thu Nov ٢٦ 23:59:34 UTC 2026",
        "",
    ],
)
def test_non_canonical_timestamps_are_refused(text: str) -> None:
    assert srp.parse_timestamp(text) is None
    assert not srp.timestamp_ok(text, NOW)


def test_pycognito_device_timestamp_matches() -> None:
    # pycognito formats the device answer with strftime + a regex: same text (in the C locale).
    moment = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    stamp = re.sub(r" 0(\d) ", r" \1 ", moment.strftime("%a %b %d %H:%M:%S UTC %Y"))
    assert srp.format_timestamp(moment) == stamp == "Tue Feb 3 04:05:06 UTC 2026"


# --- the JS clients, in Node -------------------------------------------------------------


class JsClient:
    """tests/node/srp_client.mjs: one Node process, JSON lines in and out."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", str(SRP_CLIENT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.count = 0

    def call(self, **request: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply: dict[str, Any] = json.loads(self.proc.stdout.readline())
        assert "error" not in reply, reply
        return reply

    def sign_in(
        self, client: str, verifier: srp.Verifier, realm: str, user_id: str, password: str
    ) -> bool:
        """One PASSWORD_VERIFIER exchange: the JS client's A and signature, our B and check."""
        self.count += 1
        exchange_id = str(self.count)
        srp_a = self.call(op="start", client=client, id=exchange_id, realm=realm)["A"]
        challenge = srp.start(verifier, srp.parse_srp_a(srp_a))
        block = secrets.token_bytes(48)
        answer = self.call(
            op="sign",
            id=exchange_id,
            userId=user_id,
            password=password,
            salt=verifier.salt_hex,
            B=challenge.srp_b,
            secretBlock=base64.b64encode(block).decode(),
        )
        return srp.check_claim(
            verifier,
            challenge,
            realm=realm,
            user_id=user_id,
            secret_block=block,
            timestamp=answer["timestamp"],
            signature_b64=answer["signature"],
            now=datetime.now(UTC),
        )


@pytest.fixture(scope="module")
def js() -> Iterator[JsClient]:
    client = JsClient()
    yield client
    assert client.proc.stdin is not None and client.proc.stdout is not None
    client.proc.stdin.close()
    assert client.proc.wait(timeout=30) == 0
    client.proc.stdout.close()


@pytest.mark.node
@pytest.mark.parametrize("client", JS_CLIENTS)
def test_js_signs_in(js: JsClient, client: str) -> None:
    verifier = srp.make_verifier(REALM, "alice", "Passw0rd!")
    assert js.sign_in(client, verifier, REALM, "alice", "Passw0rd!")
    assert not js.sign_in(client, verifier, REALM, "alice", "Passw0rd")
    assert not js.sign_in(client, verifier, "Srp0Test2", "alice", "Passw0rd!")


@pytest.mark.node
@pytest.mark.parametrize("client", JS_CLIENTS)
@pytest.mark.parametrize("salt", [b"\x00\x00\x12" + bytes(13), b"\x80" + bytes(15), b"\x00"])
def test_js_reencoded_salts(js: JsClient, client: str, salt: bytes) -> None:
    verifier = srp.make_verifier(REALM, "alice", "Passw0rd!", salt=salt)
    assert js.sign_in(client, verifier, REALM, "alice", "Passw0rd!")


@pytest.mark.node
@pytest.mark.parametrize("client", JS_CLIENTS)
def test_js_lone_surrogate_is_hashed_as_replacement_character(js: JsClient, client: str) -> None:
    verifier = srp.make_verifier(REALM, "al\ud800ice", "pass\udfffword")
    assert js.sign_in(client, verifier, REALM, "al\ud800ice", "pass\udfffword")
    assert verifier == srp.make_verifier(REALM, "al\ufffdice", "pass\ufffdword", salt=verifier.salt)


@pytest.mark.node
@pytest.mark.parametrize("client", JS_CLIENTS)
def test_js_device_sign_in(js: JsClient, client: str) -> None:
    group, key = "-abcDEF123", "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"
    config = js.call(op="device", client=client, deviceGroupKey=group, deviceKey=key)
    verifier = srp.device_verifier_from_client(config["salt"], config["verifier"])
    assert js.sign_in(client, verifier, group, key, config["password"])
    assert not js.sign_in(client, verifier, group, key, config["password"] + "x")
    assert not js.sign_in(client, verifier, REALM, key, config["password"])


@pytest.mark.node
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(username=texts, password=texts, client=st.sampled_from(JS_CLIENTS))
def test_js_round_trip_any_text(js: JsClient, username: str, password: str, client: str) -> None:
    verifier = srp.make_verifier(REALM, username, password)
    assert js.sign_in(client, verifier, REALM, username, password)
