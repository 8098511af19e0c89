"""The Application Load Balancer's header contract: `x-amzn-oidc-data` (the user's claims as an
ES256 JWT the ALB signs, its header naming the ALB in `signer` and the key in `kid`) checked
against the ALB's regional public key, `x-amzn-oidc-identity` cross-checked with its `sub`."""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from mamori.verify.errors import (
    BadSignature,
    Expired,
    KeysUnavailable,
    Malformed,
    WrongAudience,
    WrongIssuer,
)

# Key ids are UUIDs; anything else never reaches the key URL's path.
_KID = re.compile(r"[A-Za-z0-9-]{1,128}")
_KEY_CACHE = 64
_ARN_REGION = re.compile(r"arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):")


@dataclass(frozen=True)
class AlbIdentity:
    """What the ALB says about the signed-in user, checked: `claims` (the IdP's user info, from
    x-amzn-oidc-data), `identity` (x-amzn-oidc-identity, equal to claims["sub"]) and the IdP's
    access token (x-amzn-oidc-accesstoken, passed through unchecked: check it with a Verifier
    when the backend needs its scopes)."""

    claims: dict[str, Any]
    identity: str
    access_token: str | None = field(default=None, repr=False)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value


class AlbVerifier:
    """Checks the headers an ALB with an `authenticate-oidc` (or `authenticate-cognito`) action
    adds. `signer_arn`: the ALB's ARN, compared with the token header's `signer` before any key
    is fetched. `issuer` / `client_id`: when given, the header's `iss` and `client` must match
    (the IdP's issuer and the app client the ALB signs in with). The key for a `kid` comes from
    `{key_endpoint}/{kid}` (default `https://public-keys.auth.elb.{region}.amazonaws.com`, the
    region read from the ARN), is fetched once and kept; a kid that fails is not asked again
    for `min_refresh_interval` seconds."""

    def __init__(
        self,
        signer_arn: str,
        *,
        region: str | None = None,
        issuer: str | None = None,
        client_id: str | None = None,
        key_endpoint: str | None = None,
        leeway: float = 60,
        min_refresh_interval: float = 60,
        timeout: float = 5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if region is None:
            found = _ARN_REGION.match(signer_arn)
            if found is None and key_endpoint is None:
                raise ValueError("signer_arn is not an ELB ARN: give region= or key_endpoint=")
            region = found.group(1) if found else None
        self.signer_arn = signer_arn
        self.issuer = issuer
        self.client_id = client_id
        self.key_endpoint = (
            key_endpoint or f"https://public-keys.auth.elb.{region}.amazonaws.com"
        ).rstrip("/")
        self.leeway = leeway
        self._interval = min_refresh_interval
        self._timeout = timeout
        self._clock = clock
        self._keys: dict[str, ec.EllipticCurvePublicKey] = {}
        self._failed: dict[str, float] = {}
        self._lock = threading.Lock()
        self._in_flight: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Task[None]] = {}
        self.fetches = 0

    def verify(self, headers: Mapping[str, str]) -> AlbIdentity:
        data, identity = self._headers(headers)
        kid = self._kid(data)
        key = self._keys.get(kid)
        if key is None:
            with self._lock:
                key = self._keys.get(kid)
                if key is None:
                    self._may_fetch(kid)
                    key = self._remember(kid, self._fetch_sync(kid))
        return self._identity(data, key, identity, headers)

    async def averify(self, headers: Mapping[str, str]) -> AlbIdentity:
        data, identity = self._headers(headers)
        kid = self._kid(data)
        key = self._keys.get(kid)
        if key is None:
            loop = asyncio.get_running_loop()
            task = self._in_flight.get((loop, kid))
            if task is None:
                self._may_fetch(kid)
                task = loop.create_task(self._fetch_async(kid))
                self._in_flight[(loop, kid)] = task
                task.add_done_callback(lambda _: self._in_flight.pop((loop, kid), None))
            await asyncio.shield(task)
            key = self._keys.get(kid)
            if key is None:  # fetched, then dropped when the bounded cache was cleared
                raise KeysUnavailable(f"the ALB key {kid!r} is not available")
        return self._identity(data, key, identity, headers)

    @staticmethod
    def _headers(headers: Mapping[str, str]) -> tuple[str, str]:
        data = _header(headers, "x-amzn-oidc-data")
        identity = _header(headers, "x-amzn-oidc-identity")
        if not data or not identity:
            raise Malformed("x-amzn-oidc-data and x-amzn-oidc-identity are required")
        return data.strip(), identity.strip()

    def _kid(self, data: str) -> str:
        try:
            header = jwt.get_unverified_header(data)
        except jwt.PyJWTError as exc:
            raise Malformed("x-amzn-oidc-data is not a JWT") from exc
        if header.get("alg") != "ES256":
            raise Malformed(f"algorithm {header.get('alg')!r} refused: the ALB signs ES256")
        # Checked before any key is fetched: a token naming another ALB is never looked at.
        if header.get("signer") != self.signer_arn:
            raise WrongIssuer(f"signed by {header.get('signer')!r}, not the configured ALB")
        kid = header.get("kid")
        if not isinstance(kid, str) or _KID.fullmatch(kid) is None:
            raise Malformed("the token header's kid is not a key id")
        return kid

    def _identity(
        self,
        data: str,
        key: ec.EllipticCurvePublicKey,
        identity: str,
        headers: Mapping[str, str],
    ) -> AlbIdentity:
        try:
            # The ALB's segments carry base64 padding ('='), which RFC 7515 leaves out; PyJWT
            # decodes them as they are and checks the signature over the text as received.
            decoded = jwt.decode_complete(
                data,
                key,
                algorithms=["ES256"],
                options={
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                },
            )
        except jwt.InvalidSignatureError as exc:
            raise BadSignature("x-amzn-oidc-data's signature does not verify") from exc
        except jwt.PyJWTError as exc:
            raise Malformed(f"x-amzn-oidc-data is not a valid JWT: {exc}") from exc
        header, claims = decoded["header"], decoded["payload"]
        now = self._clock()
        for source in (header, claims):
            exp = source.get("exp")
            if exp is None and source is claims:
                continue
            if isinstance(exp, bool) or not isinstance(exp, int | float) or not math.isfinite(exp):
                raise Malformed("x-amzn-oidc-data has no numeric exp")
            if exp + self.leeway < now:
                raise Expired("x-amzn-oidc-data has expired")
        if self.issuer is not None and header.get("iss") != self.issuer:
            raise WrongIssuer(f"issuer {header.get('iss')!r} is not {self.issuer!r}")
        if self.client_id is not None and header.get("client") != self.client_id:
            raise WrongAudience(f"client {header.get('client')!r} is not {self.client_id!r}")
        if claims.get("sub") != identity:
            raise Malformed("x-amzn-oidc-identity is not the signed claims' sub")
        return AlbIdentity(claims, identity, _header(headers, "x-amzn-oidc-accesstoken"))

    def _fail(self, kid: str) -> None:
        """Remember a failed fetch (bounded like the keys: kids come from unsigned headers)."""
        if len(self._failed) >= _KEY_CACHE:
            self._failed.clear()
        self._failed[kid] = self._clock()

    def _may_fetch(self, kid: str) -> None:
        failed_at = self._failed.get(kid)
        if failed_at is not None and self._clock() < failed_at + self._interval:
            raise BadSignature(f"the ALB key {kid!r} could not be fetched recently")

    def _remember(self, kid: str, pem: bytes) -> ec.EllipticCurvePublicKey:
        try:
            key = load_pem_public_key(pem)
        except ValueError as exc:
            self._fail(kid)
            raise KeysUnavailable(f"the ALB key {kid!r} is not a PEM public key") from exc
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            self._fail(kid)
            raise KeysUnavailable(f"the ALB key {kid!r} is not a P-256 key")
        if len(self._keys) >= _KEY_CACHE:
            self._keys.clear()
        self._keys[kid] = key
        self._failed.pop(kid, None)
        return key

    def _fetched(self, kid: str, response: httpx.Response) -> bytes:
        if response.status_code != 200:
            self._fail(kid)
            raise KeysUnavailable(f"the ALB key {kid!r}: HTTP {response.status_code}")
        return response.content

    def _fetch_sync(self, kid: str) -> bytes:
        self.fetches += 1
        try:
            with httpx.Client(timeout=self._timeout) as client:
                response = client.get(f"{self.key_endpoint}/{kid}")
        except httpx.HTTPError as exc:
            self._fail(kid)
            raise KeysUnavailable(f"fetching the ALB key {kid!r}: {exc}") from exc
        return self._fetched(kid, response)

    async def _fetch_async(self, kid: str) -> None:
        self.fetches += 1
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(f"{self.key_endpoint}/{kid}")
        except httpx.HTTPError as exc:
            self._fail(kid)
            raise KeysUnavailable(f"fetching the ALB key {kid!r}: {exc}") from exc
        self._remember(kid, self._fetched(kid, response))
