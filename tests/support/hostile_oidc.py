"""A hostile OpenID Connect provider for the federation's abuse tests: a small Starlette app on
loopback, served by uvicorn in a thread. Discovery, a JWKS with one RS256 key, /authorize that
sends the browser straight back with a code and the state (or an error, no code, another `iss`),
a token endpoint that checks the client, the code, its redirect_uri and the PKCE verifier, and
userinfo. `fault` makes the token endpoint (or userinfo, or discovery) answer what an attacker
or a broken provider would: a forged, unsigned, HMAC-with-the-public-key, expired, early,
misaddressed, replayed or subjectless ID token, a slow or trickled answer, a redirect, a 500,
non-JSON, an endless body."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from tests.support.live import free_port

# What the token endpoint (or userinfo) can be told to answer instead of a good ID token.
TOKEN_FAULTS = (
    "forged",  # signed by a key not in the JWKS, under the published kid
    "unknown-kid",  # signed by a key not in the JWKS, under a kid it lacks
    "alg-none",  # unsigned
    "hs256-public-key",  # HS256 with the published public key (PEM) as the secret
    "jku",  # signed by the attacker's key, its header pointing at the attacker's JWKS
    "tampered",  # a good token whose claims were changed after signing
    "expired",
    "issued-in-future",
    "other-audience",
    "audiences-without-azp",  # aud: [client_id, another] and no azp
    "other-azp",  # aud: [client_id, another], azp: another
    "other-issuer",
    "other-nonce",
    "no-nonce",
    "replayed",  # the ID token for the previous authorize request's nonce
    "no-sub",
    "userinfo-other-sub",
    "no-id-token",
    "invalid-grant",  # 400 {"error": "invalid_grant"}
    "redirect",  # 302 to a good answer elsewhere (never followed)
    "error-500",
    "not-json",
    "deep-json",  # an array nested past the JSON parser's depth
    "oversized",  # a JSON answer that never ends, sent as fast as it is read
    "slow",  # answers after `delay` seconds
    "trickle",  # a good answer, one byte every 0.25 s for `delay` seconds first
)
# What /authorize can be told to send back instead of a code (errors come with a hostile
# error_description: it must never reach the app or a page).
AUTHORIZE_FAULTS = ("access_denied", "temporarily_unavailable", "no-code", "other-iss")
# What the discovery document can be told to do.
DISCOVERY_FAULTS = ("discovery-500", "discovery-slow")
ERROR_DESCRIPTION = "<script>alert('provider')</script>"
_OVERSIZED_CHUNK = b" " * 65536
_OVERSIZED_CHUNKS = 1024  # 64 MiB


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


@dataclass
class _Code:
    redirect_uri: str
    nonce: str | None
    challenge: str | None


@dataclass
class HostileOidc:
    """The provider at `url` (its issuer). `sign_in_as` names the next user; `fault` what goes
    wrong (TOKEN_FAULTS or AUTHORIZE_FAULTS, None: nothing). What it answered is kept."""

    client_id: str
    client_secret: str = field(repr=False)
    url: str = ""
    sub: str = "user-1"
    claims: dict[str, Any] = field(default_factory=dict)
    fault: str | None = None
    delay: float = 3.0
    # Every ID token the token endpoint made.
    issued: list[str] = field(default_factory=list, repr=False)
    token_calls: int = 0
    token_waiting: threading.Event = field(default_factory=threading.Event)
    oversized_finished: bool = False  # the endless answer was read to its end
    _key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    _kid: str = field(default_factory=lambda: secrets.token_hex(5))
    _codes: dict[str, _Code] = field(default_factory=dict)
    _nonces: list[str | None] = field(default_factory=list)
    _tokens: dict[str, str] = field(default_factory=dict, repr=False)  # access token -> sub

    @property
    def access_tokens(self) -> list[str]:
        return list(self._tokens)

    def sign_in_as(self, sub: str, fault: str | None = None, **claims: Any) -> None:
        if fault is not None and fault not in TOKEN_FAULTS + AUTHORIZE_FAULTS + DISCOVERY_FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        self.sub, self.fault, self.claims = sub, fault, dict(claims)

    # The provider's documents.

    def public_jwk(self) -> dict[str, Any]:
        jwk = dict(RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True))
        return {**jwk, "kid": self._kid, "use": "sig", "alg": "RS256"}

    async def discovery(self, request: Request) -> Response:
        if self.fault == "discovery-500":
            return JSONResponse({"error": "server_error"}, status_code=500)
        if self.fault == "discovery-slow" and await self._sleep(request, self.delay):
            return Response(status_code=499)
        return JSONResponse(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "userinfo_endpoint": f"{self.url}/userinfo",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.public_jwk()]})

    # The browser's visit: straight back.

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        redirect_uri = params.get("redirect_uri", "")
        back: dict[str, str] = {"state": params.get("state", "")}
        if self.fault in ("access_denied", "temporarily_unavailable"):
            back["error"], back["error_description"] = self.fault, ERROR_DESCRIPTION
        elif self.fault != "no-code":
            code = secrets.token_urlsafe(16)
            self._codes[code] = _Code(
                redirect_uri, params.get("nonce"), params.get("code_challenge")
            )
            back["code"] = code
            # RFC 9207: the issuer names itself; "other-iss" names another.
            back["iss"] = "https://evil.example" if self.fault == "other-iss" else self.url
        self._nonces.append(params.get("nonce"))
        sep = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{sep}{urllib.parse.urlencode(back)}", 302)

    # The token endpoint and what it can be made to say.

    def _good_claims(self, nonce: str | None) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "sub": self.sub,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            **self.claims,
        }
        if nonce is not None:
            claims["nonce"] = nonce
        return claims

    def _sign(
        self, claims: dict[str, Any], key: rsa.RSAPrivateKey | None = None, kid: str = ""
    ) -> str:
        return jwt.encode(
            claims, key or self._key, algorithm="RS256", headers={"kid": kid or self._kid}
        )

    def id_token(self, nonce: str | None) -> str:
        """The ID token for a sign-in whose authorize request carried `nonce`, as `fault` has
        it."""
        fault, claims = self.fault, self._good_claims(nonce)
        now = int(time.time())
        if fault == "forged":
            return self._sign(
                claims, rsa.generate_private_key(public_exponent=65537, key_size=2048)
            )
        if fault == "unknown-kid":
            other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._sign(claims, other, secrets.token_hex(5))
        if fault == "alg-none":
            return _unsigned({"alg": "none", "typ": "JWT"}, claims) + "."
        if fault == "hs256-public-key":
            pem = self._key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            body = _unsigned({"alg": "HS256", "typ": "JWT", "kid": self._kid}, claims)
            return f"{body}.{_b64(hmac.new(pem, body.encode(), hashlib.sha256).digest())}"
        if fault == "jku":
            other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return jwt.encode(
                claims,
                other,
                algorithm="RS256",
                headers={"kid": self._kid, "jku": f"{self.url}/attacker-jwks"},
            )
        if fault == "tampered":
            header, _, signature = self._sign(claims).split(".")
            changed = {**claims, "sub": f"{self.sub}-admin"}
            return f"{header}.{_b64(json.dumps(changed).encode())}.{signature}"
        if fault == "expired":
            claims.update(iat=now - 1200, exp=now - 600)
        elif fault == "issued-in-future":
            claims.update(iat=now + 600, exp=now + 900)
        elif fault == "other-audience":
            claims["aud"] = "another-app"
        elif fault == "audiences-without-azp":
            claims["aud"] = [self.client_id, "another-app"]
        elif fault == "other-azp":
            claims.update(aud=[self.client_id, "another-app"], azp="another-app")
        elif fault == "other-issuer":
            claims["iss"] = "https://evil.example"
        elif fault == "other-nonce":
            claims["nonce"] = secrets.token_urlsafe(32)
        elif fault == "no-nonce":
            claims.pop("nonce", None)
        elif fault == "replayed":
            earlier = [n for n in self._nonces[:-1] if n is not None and n != nonce]
            claims["nonce"] = earlier[-1] if earlier else secrets.token_urlsafe(32)
        elif fault == "no-sub":
            claims.pop("sub")
        return self._sign(claims)

    async def token(self, request: Request) -> Response:
        self.token_calls += 1
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        issued = self._codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        if (
            issued is None
            or form.get("client_id") != self.client_id
            or not hmac.compare_digest(form.get("client_secret", ""), self.client_secret)
            or form.get("redirect_uri") != issued.redirect_uri
            or _b64(hashlib.sha256(verifier.encode()).digest()) != issued.challenge
            or self.fault == "invalid-grant"
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if self.fault == "redirect":
            return RedirectResponse(f"{self.url}/token-elsewhere", status_code=307)
        if self.fault == "error-500":
            return PlainTextResponse("Internal Server Error", status_code=500)
        if self.fault == "deep-json":
            return Response(b"[" * 100_000, media_type="application/json")
        if self.fault == "not-json":
            return Response("<html><body>Welcome!</body></html>", media_type="text/html")
        if self.fault == "oversized":
            return StreamingResponse(self._endless(request), media_type="application/json")
        access = secrets.token_urlsafe(24)
        self._tokens[access] = self.sub
        answer: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "expires_in": 300}
        if self.fault != "no-id-token":
            answer["id_token"] = self.id_token(issued.nonce)
            self.issued.append(answer["id_token"])
        if self.fault == "slow":
            self.token_waiting.set()
            if await self._sleep(request, self.delay):
                return Response(status_code=499)
        if self.fault == "trickle":
            return StreamingResponse(
                self._trickle(json.dumps(answer).encode()), media_type="application/json"
            )
        return JSONResponse(answer)

    async def _sleep(self, request: Request, seconds: float) -> bool:
        """Wait `seconds` (True when the caller went away first)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if await request.is_disconnected():
                return True
            await asyncio.sleep(0.05)
        return False

    async def _trickle(self, answer: bytes) -> AsyncIterator[bytes]:
        # JSON allows whitespace before the value: every byte keeps the connection busy.
        deadline = time.monotonic() + self.delay
        while time.monotonic() < deadline:
            yield b" "
            await asyncio.sleep(0.25)
        yield answer

    async def _endless(self, request: Request) -> AsyncIterator[bytes]:
        self.oversized_finished = False
        yield b'{"access_token": "x", "padding": "'
        for _ in range(_OVERSIZED_CHUNKS):
            # uvicorn drops what is sent after the client has gone: stop there, unfinished.
            if await request.is_disconnected():
                return
            yield _OVERSIZED_CHUNK
        yield b'"}'
        self.oversized_finished = True

    async def userinfo(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        sub = self._tokens.get(auth.removeprefix("Bearer "))
        if sub is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        if self.fault == "userinfo-other-sub":
            return JSONResponse({"sub": f"{sub}-other", "email": "mallory@evil.example"})
        # ASCII JSON: \u escapes carry any claim, even an unpaired surrogate.
        return Response(json.dumps({"sub": sub, **self.claims}), media_type="application/json")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/userinfo", self.userinfo, methods=["GET", "POST"]),
            ]
        )


@contextmanager
def hostile_oidc(client_id: str, client_secret: str) -> Iterator[HostileOidc]:
    """The provider on a free loopback port until the block ends."""
    port = free_port()
    provider = HostileOidc(client_id, client_secret, url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(
            provider.app(),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the hostile OpenID provider did not start")
        time.sleep(0.02)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=10)
