"""mamori.verify.alb.AlbVerifier: x-amzn-oidc-data as an ALB sends it (ES256, base64 with
padding, signer and kid in the header), the key served by a stand-in of the ALB's regional
key endpoint; each refusal beside the good headers passing."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from tests.verify.issuer import Clock

from mamori.verify import BadSignature, Expired, KeysUnavailable, Malformed, WrongIssuer
from mamori.verify.alb import AlbVerifier
from mamori.verify.errors import WrongAudience

ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188"
IDP = "https://auth.example.com/eu-west-1_AbCdEf123"
CLIENT = "alb-client"


@dataclass
class KeyServer:
    """The ALB's public-keys endpoint: PEM text at /<kid>, 404 for any other kid."""

    base_url: str = ""
    keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)

    def new_key(self) -> str:
        kid = str(uuid.uuid4())
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())
        return kid


@pytest.fixture()
def key_server() -> Iterator[KeyServer]:
    server = KeyServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.paths.append(self.path)
            key = server.keys.get(self.path.lstrip("/"))
            if key is None:
                self.send_error(404)
                return
            body = key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _b64(raw: bytes, padded: bool) -> str:
    text = base64.urlsafe_b64encode(raw).decode()
    return text if padded else text.rstrip("=")


def alb_data(
    key: ec.EllipticCurvePrivateKey,
    kid: str,
    now: float,
    *,
    padded: bool = True,
    header: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """x-amzn-oidc-data as the ALB builds it: the user info claims, signed ES256."""
    head = {
        "typ": "JWT",
        "kid": kid,
        "alg": "ES256",
        "iss": IDP,
        "client": CLIENT,
        "signer": ARN,
        "exp": int(now) + 120,
        **(header or {}),
    }
    body = {
        "sub": "7f2c1e2a-0000-4000-8000-000000000001",
        "email": "alice@example.com",
        "email_verified": "true",
        "username": "alice",
        "exp": int(now) + 120,
        "iss": IDP,
        **claims,
    }
    # The signature covers the segments as sent, padding included (RFC 7515: r || s).
    signing_input = (
        f"{_b64(json.dumps(head).encode(), padded)}.{_b64(json.dumps(body).encode(), padded)}"
    )
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input}.{_b64(signature, padded)}"


def headers(data: str, identity: str = "7f2c1e2a-0000-4000-8000-000000000001") -> dict[str, str]:
    return {
        "X-Amzn-Oidc-Data": data,
        "X-Amzn-Oidc-Identity": identity,
        "X-Amzn-Oidc-Accesstoken": "an-access-token",
    }


def alb(key_server: KeyServer, clock: Clock, **overrides: Any) -> AlbVerifier:
    options: dict[str, Any] = {"key_endpoint": key_server.base_url, "clock": clock}
    options.update(overrides)
    return AlbVerifier(ARN, **options)


@pytest.fixture()
def clock() -> Clock:
    return Clock()


def test_good_headers_with_padding(key_server: KeyServer, clock: Clock) -> None:
    kid = key_server.new_key()
    data = alb_data(key_server.keys[kid], kid, clock.now)
    assert "=" in data  # the ALB's quirk is really exercised
    v = alb(key_server, clock, issuer=IDP, client_id=CLIENT)
    seen = v.verify(headers(data))
    assert seen.claims["email"] == "alice@example.com"
    assert seen.identity == seen.claims["sub"] and seen.access_token == "an-access-token"
    assert asyncio.run(v.averify(headers(data))).claims == seen.claims
    unpadded = alb_data(key_server.keys[kid], kid, clock.now, padded=False)
    assert v.verify(headers(unpadded)).identity == seen.identity
    assert key_server.paths == [f"/{kid}"]  # fetched once, kept


def test_default_endpoint_from_the_arn() -> None:
    assert AlbVerifier(ARN).key_endpoint == "https://public-keys.auth.elb.eu-west-1.amazonaws.com"
    with pytest.raises(ValueError):
        AlbVerifier("not-an-arn")


def test_identity_must_be_the_signed_sub(key_server: KeyServer, clock: Clock) -> None:
    kid = key_server.new_key()
    data = alb_data(key_server.keys[kid], kid, clock.now)
    v = alb(key_server, clock)
    with pytest.raises(Malformed, match="sub"):
        v.verify(headers(data, identity="someone-else"))
    with pytest.raises(Malformed):
        v.verify({"x-amzn-oidc-data": data})
    assert v.verify(headers(data))


def test_other_signer_refused_before_any_fetch(key_server: KeyServer, clock: Clock) -> None:
    kid = key_server.new_key()
    other = ARN.replace("shop", "evil")
    data = alb_data(key_server.keys[kid], kid, clock.now, header={"signer": other})
    v = alb(key_server, clock)
    with pytest.raises(WrongIssuer):
        v.verify(headers(data))
    assert key_server.paths == []
    assert v.verify(headers(alb_data(key_server.keys[kid], kid, clock.now)))


def test_expired(key_server: KeyServer, clock: Clock) -> None:
    kid = key_server.new_key()
    v = alb(key_server, clock, leeway=0)
    data = alb_data(key_server.keys[kid], kid, clock.now)
    clock.now += 121
    with pytest.raises(Expired):
        v.verify(headers(data))
    clock.now -= 121
    late_body = alb_data(key_server.keys[kid], kid, clock.now, exp=int(clock.now) - 1)
    with pytest.raises(Expired):
        v.verify(headers(late_body))
    assert v.verify(headers(data))


def test_tampered_and_forged(key_server: KeyServer, clock: Clock) -> None:
    kid, stranger = key_server.new_key(), ec.generate_private_key(ec.SECP256R1())
    v = alb(key_server, clock)
    good = alb_data(key_server.keys[kid], kid, clock.now)
    h, _, s = good.split(".")
    p = _b64(
        json.dumps({"sub": "7f2c1e2a-0000-4000-8000-000000000001", "admin": True}).encode(), True
    )
    with pytest.raises(BadSignature):
        v.verify(headers(f"{h}.{p}.{s}"))
    with pytest.raises(BadSignature):
        v.verify(headers(alb_data(stranger, kid, clock.now)))
    for alg in ("none", "HS256", "RS256"):
        with pytest.raises(Malformed, match="ES256"):
            v.verify(headers(alb_data(key_server.keys[kid], kid, clock.now, header={"alg": alg})))
    assert v.verify(headers(good))


def test_issuer_and_client_when_configured(key_server: KeyServer, clock: Clock) -> None:
    kid = key_server.new_key()
    data = alb_data(key_server.keys[kid], kid, clock.now)
    with pytest.raises(WrongIssuer):
        alb(key_server, clock, issuer="https://elsewhere.example.com").verify(headers(data))
    with pytest.raises(WrongAudience):
        alb(key_server, clock, client_id="other-client").verify(headers(data))
    assert alb(key_server, clock, issuer=IDP, client_id=CLIENT).verify(headers(data))


def test_kid_never_reaches_the_url_unchecked(key_server: KeyServer, clock: Clock) -> None:
    kid = key_server.new_key()
    v = alb(key_server, clock)
    for bad in ("../admin", "a/b", "x?y=1", ""):
        with pytest.raises(Malformed):
            v.verify(headers(alb_data(key_server.keys[kid], bad, clock.now)))
    assert key_server.paths == []
    assert v.verify(headers(alb_data(key_server.keys[kid], kid, clock.now)))


def test_unknown_kid_not_asked_again_within_the_interval(
    key_server: KeyServer, clock: Clock
) -> None:
    kid = key_server.new_key()
    missing = str(uuid.uuid4())
    v = alb(key_server, clock, min_refresh_interval=60)
    data = alb_data(key_server.keys[kid], missing, clock.now)
    with pytest.raises(KeysUnavailable):
        v.verify(headers(data))
    with pytest.raises(BadSignature):
        v.verify(headers(data))
    assert key_server.paths == [f"/{missing}"]
    key_server.keys[missing] = key_server.keys[kid]
    clock.now += 60
    assert v.verify(headers(alb_data(key_server.keys[kid], missing, clock.now)))
    assert key_server.paths == [f"/{missing}"] * 2


def test_concurrent_requests_share_one_key_fetch(key_server: KeyServer, clock: Clock) -> None:
    kid = key_server.new_key()
    v = alb(key_server, clock)
    data = alb_data(key_server.keys[kid], kid, clock.now)

    async def many() -> list[Any]:
        return await asyncio.gather(*(v.averify(headers(data)) for _ in range(30)))

    assert len(asyncio.run(many())) == 30
    assert key_server.paths == [f"/{kid}"]
