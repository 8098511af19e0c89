"""mamori.verify.Verifier against locally signed tokens and a stand-in JWKS: each check refuses
what it must, next to the good token passing the same verifier."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from tests.verify.issuer import CLIENT, POOL, Clock, Issuer, new_key, serve_issuer

from mamori.verify import (
    BadSignature,
    Expired,
    KeysUnavailable,
    Malformed,
    MissingGroup,
    MissingScope,
    NotYetValid,
    TokenError,
    Verifier,
    WrongAudience,
    WrongIssuer,
    WrongTokenUse,
)


@pytest.fixture()
def issuer() -> Iterator[Issuer]:
    with serve_issuer() as issuer:
        yield issuer


@pytest.fixture()
def clock() -> Clock:
    return Clock()


def verifier(issuer: Issuer, clock: Clock, **overrides: Any) -> Verifier:
    options: dict[str, Any] = {"client_ids": [CLIENT], "leeway": 60, "clock": clock}
    options.update(overrides)
    return Verifier(issuer.issuer, **options)


def test_good_access_token_sync_and_async(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock)
    token = issuer.token(now=clock.now)
    claims = v.verify(token, scopes=["orders/read"], groups=["reader"])
    assert claims["sub"].startswith("7f2c1e2a") and claims["client_id"] == CLIENT
    assert asyncio.run(v.averify(token, scopes=["orders/read"])) == claims
    claims["sub"] = "changed"  # the caller's copy: the next call is not affected
    assert v.verify(token)["sub"].startswith("7f2c1e2a")
    assert issuer.fetches == 1


def test_expiry_with_leeway(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock, leeway=60)
    token = issuer.token(now=clock.now)
    clock.now += 3600 + 60
    assert v.verify(token)["exp"] + 60 == clock.now
    clock.now += 1
    with pytest.raises(Expired):
        v.verify(token)
    assert v.verify(issuer.token(now=clock.now))


def test_nbf_and_iat_in_the_future(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock, leeway=10)
    assert v.verify(issuer.token(now=clock.now, nbf=clock.now + 10))
    with pytest.raises(NotYetValid):
        v.verify(issuer.token(now=clock.now, nbf=clock.now + 11))
    with pytest.raises(NotYetValid):
        v.verify(issuer.token(now=clock.now + 11))
    assert v.verify(issuer.token(now=clock.now + 10))


def test_wrong_issuer(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock)
    with pytest.raises(WrongIssuer):
        v.verify(issuer.token(now=clock.now, iss=issuer.base_url + "/us-east-1_other"))
    with pytest.raises(WrongIssuer):
        v.verify(issuer.token(now=clock.now, iss=None))
    assert v.verify(issuer.token(now=clock.now))


def test_wrong_client(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock)
    with pytest.raises(WrongAudience):
        v.verify(issuer.token(now=clock.now, client_id="other"))
    ids = verifier(issuer, clock, token_use="id")
    with pytest.raises(WrongAudience):
        ids.verify(issuer.token("id", now=clock.now, aud="other"))
    with pytest.raises(WrongAudience):
        ids.verify(issuer.token("id", now=clock.now, aud=[CLIENT, "other"]))
    assert v.verify(issuer.token(now=clock.now)) and ids.verify(issuer.token("id", now=clock.now))


def test_id_versus_access(issuer: Issuer, clock: Clock) -> None:
    access, id_token = issuer.token(now=clock.now), issuer.token("id", now=clock.now)
    with pytest.raises(WrongTokenUse):
        verifier(issuer, clock).verify(id_token)
    with pytest.raises(WrongTokenUse):
        verifier(issuer, clock, token_use="id").verify(access)
    assert verifier(issuer, clock, token_use="id").verify(id_token)["aud"] == CLIENT
    either = verifier(issuer, clock, token_use=None)
    assert either.verify(access)["token_use"] == "access"
    assert either.verify(id_token)["token_use"] == "id"
    with pytest.raises(WrongTokenUse):
        either.verify(issuer.token(now=clock.now, token_use="refresh"))


def test_any_client_only_when_asked(issuer: Issuer, clock: Clock) -> None:
    with pytest.raises(TypeError):
        Verifier(issuer.issuer)  # type: ignore[call-arg]
    anyone = Verifier(issuer.issuer, client_ids=None, clock=clock)
    assert anyone.verify(issuer.token(now=clock.now, client_id="other"))


def test_scopes_and_groups(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock)
    token = issuer.token(now=clock.now, **{"cognito:groups": ["reader", "staff"]})
    assert v.verify(token, scopes=["orders/write", "orders/read"], groups=["admin", "staff"])
    with pytest.raises(MissingScope) as refused:
        v.verify(token, scopes=["orders/write"])
    assert refused.value.status_code == 403 and refused.value.error == "insufficient_scope"
    with pytest.raises(MissingGroup):
        v.verify(token, groups=["admin"])
    with pytest.raises(MissingGroup):
        v.verify(issuer.token(now=clock.now, **{"cognito:groups": None}), groups=["reader"])
    with pytest.raises(MissingScope):
        v.verify(issuer.token(now=clock.now, scope=None), scopes=["orders/read"])
    # A lone string is one name, not its letters.
    lettered = issuer.token(now=clock.now, **{"cognito:groups": ["a"]}, scope="o")
    with pytest.raises(MissingGroup):
        v.verify(lettered, groups="admin")
    with pytest.raises(MissingScope):
        v.verify(lettered, scopes="orders/read")
    assert v.verify(token, groups="staff", scopes="orders/read")


def _forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    def enc(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return ".".join(
        [enc(json.dumps(header).encode()), enc(json.dumps(claims).encode()), enc(signature)]
    )


def test_alg_none_refused(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock)
    good = issuer.token(now=clock.now)
    claims = jwt.decode(good, options={"verify_signature": False})
    for alg in ("none", "None", "NONE"):
        with pytest.raises(Malformed, match="only RS256"):
            v.verify(_forge({"alg": alg, "kid": issuer.signing.kid}, claims))
    assert v.verify(good)


def test_hs256_with_the_public_key_as_secret_refused(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock)
    good = issuer.token(now=clock.now)
    claims = jwt.decode(good, options={"verify_signature": False})
    assert v.verify(good)
    pem = issuer.signing.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": issuer.signing.kid, "typ": "JWT"}
    unsigned = _forge(header, claims).rsplit(".", 1)[0]
    mac = hmac.new(pem, unsigned.encode(), hashlib.sha256).digest()
    forged = unsigned + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    with pytest.raises(Malformed, match="only RS256"):
        v.verify(forged)
    # The same forgery claiming RS256 fails the signature check.
    rs_forged = _forge({**header, "alg": "RS256"}, claims, mac)
    with pytest.raises(BadSignature):
        v.verify(rs_forged)


def test_tampered_and_malformed(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock)
    good = issuer.token(now=clock.now)
    h, p, s = good.split(".")
    other = issuer.token(now=clock.now, sub="someone-else").split(".")[1]
    with pytest.raises(BadSignature):
        v.verify(f"{h}.{other}.{s}")
    with pytest.raises(BadSignature):  # the signature covers the text as sent
        v.verify(f"{h}.{p}=.{s}")
    for bad in (
        "",
        "a.b",
        f"{h}.{p}",
        f"{h}.{p}.{s}.x",
        f"{h}.{p}.{s}==",
        f"{h}.{p}.",
        f"{h}.{p}é.{s}",
        f"{h}.{p}.{s[:-2]}+/",
        42,
    ):
        with pytest.raises(Malformed):
            v.verify(bad)  # type: ignore[arg-type]
    with pytest.raises(Malformed):
        v.verify(issuer.token(now=clock.now, headers={"crit": ["exp"]}))
    with pytest.raises(Malformed):
        v.verify(issuer.token(now=clock.now, exp="tomorrow"))
    assert v.verify(good)


def test_unknown_kid_refetches_once(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock, min_refresh_interval=60)
    assert v.verify(issuer.token(now=clock.now)) and issuer.fetches == 1
    rotated = new_key()
    issuer.published = [issuer.signing, rotated]
    assert v.verify(issuer.token(now=clock.now, key=rotated))
    assert issuer.fetches == 2
    assert v.verify(issuer.token(now=clock.now, key=rotated)) and issuer.fetches == 2


def test_refetch_throttled(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock, min_refresh_interval=60)
    assert v.verify(issuer.token(now=clock.now))
    stranger = new_key()
    for _ in range(5):
        with pytest.raises(BadSignature, match="no key"):
            v.verify(issuer.token(now=clock.now, key=stranger))
    assert issuer.fetches == 2  # the first unknown kid refetched; the next four waited
    clock.now += 30
    issuer.published = [issuer.signing, stranger]
    with pytest.raises(BadSignature):
        v.verify(issuer.token(now=clock.now, key=stranger))
    assert issuer.fetches == 2
    clock.now += 30
    assert v.verify(issuer.token(now=clock.now, key=stranger))
    assert issuer.fetches == 3


def test_retired_key_stops_verifying_after_a_refetch(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock, min_refresh_interval=1)
    old = issuer.token(now=clock.now)
    assert v.verify(old)
    issuer.signing = new_key()
    issuer.published = [issuer.signing]
    clock.now += 1
    assert v.verify(issuer.token(now=clock.now))
    with pytest.raises(BadSignature):
        v.verify(old)


def test_many_waiting_tasks_share_one_fetch(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock)
    issuer.delay = 0.2
    token = issuer.token(now=clock.now)

    async def many() -> list[dict[str, Any]]:
        return await asyncio.gather(*(v.averify(token) for _ in range(50)))

    results = asyncio.run(many())
    assert len(results) == 50 and all(r["sub"] == results[0]["sub"] for r in results)
    assert issuer.fetches == 1

    stranger = new_key()

    async def unknown() -> list[BaseException | dict[str, Any]]:
        t = issuer.token(now=clock.now, key=stranger)
        return await asyncio.gather(*(v.averify(t) for _ in range(20)), return_exceptions=True)

    assert all(isinstance(r, BadSignature) for r in asyncio.run(unknown()))
    assert issuer.fetches == 2  # twenty callers, one refetch
    assert all(isinstance(r, BadSignature) for r in asyncio.run(unknown()))
    assert issuer.fetches == 2  # throttled: the interval has not passed


def test_threads_share_one_fetch(issuer: Issuer, clock: Clock) -> None:
    from concurrent.futures import ThreadPoolExecutor

    v = verifier(issuer, clock)
    issuer.delay = 0.2
    token = issuer.token(now=clock.now)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: v.verify(token), range(16)))
    assert len(results) == 16 and issuer.fetches == 1


def test_jwks_unavailable_then_retried_soon(issuer: Issuer, clock: Clock) -> None:
    v = verifier(issuer, clock, min_refresh_interval=60)
    token = issuer.token(now=clock.now)
    issuer.status = 503
    with pytest.raises(KeysUnavailable):
        v.verify(token)
    with pytest.raises(BadSignature):
        v.verify(token)  # inside the short retry window: no second fetch
    assert issuer.fetches == 1
    issuer.status = 200
    clock.now += 5
    assert v.verify(token) and issuer.fetches == 2
    assert issubclass(KeysUnavailable, TokenError)


def test_real_cognito_issuer(clock: Clock) -> None:
    """A real pool's issuer and token shapes, the JWKS served here (jwks_url)."""
    cognito = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
    with serve_issuer(cognito) as issuer:
        v = Verifier(user_pool_id=POOL, client_ids=[CLIENT], jwks_url=issuer.jwks_url, clock=clock)
        assert v.issuer == cognito
        assert v.verify(issuer.token(now=clock.now), scopes=["aws.cognito.signin.user.admin"])
        ids = Verifier(
            user_pool_id=POOL,
            region="eu-west-1",
            client_ids=[CLIENT],
            token_use="id",
            jwks_url=issuer.jwks_url,
            clock=clock,
        )
        assert ids.verify(issuer.token("id", now=clock.now))["cognito:username"] == "alice"
        with pytest.raises(WrongIssuer):
            Verifier(
                user_pool_id="eu-west-1_Other",
                client_ids=[CLIENT],
                jwks_url=issuer.jwks_url,
                clock=clock,
            ).verify(issuer.token(now=clock.now))
    default = Verifier(user_pool_id="us-west-2_Xyz", client_ids=None)
    assert default.keys.url == (
        "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Xyz/.well-known/jwks.json"
    )


def test_a_signed_nan_or_infinite_exp_is_malformed(issuer: Issuer, clock: Clock) -> None:
    """json reads NaN and Infinity; a NaN exp would compare false with every time."""
    v = verifier(issuer, clock)
    for exp in (float("nan"), float("inf")):
        with pytest.raises(Malformed, match="exp is not a number"):
            v.verify(issuer.token(now=clock.now, exp=exp))
    assert v.verify(issuer.token(now=clock.now))  # the control
