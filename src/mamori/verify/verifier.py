"""`Verifier`: checks a Cognito-shaped RS256 token (mamori's or a real Cognito pool's) offline
against the issuer's JWKS: signature, issuer, token_use, client, time, scopes and groups."""

from __future__ import annotations

import binascii
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mamori.verify.errors import (
    BadSignature,
    Expired,
    Malformed,
    MissingGroup,
    MissingScope,
    NotYetValid,
    WrongAudience,
    WrongIssuer,
    WrongTokenUse,
)
from mamori.verify.keys import KeySet

TokenUse = Literal["access", "id"]

_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_NUMBERS = (int, float)
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
# Parsed headers and checked claims, by their exact base64url text; bounded, cleared when full.
_HEADER_CACHE = 64
_CLAIMS_CACHE = 4096


def _b64(segment: str) -> bytes:
    """Strict base64url without padding (RFC 7515 section 2), at C speed: the standard
    alphabet's '+' and '/' and any '=' are refused here, every other stray character by
    a2b_base64's strict mode."""
    if not segment or "+" in segment or "/" in segment or "=" in segment or len(segment) % 4 == 1:
        raise Malformed("a token segment is not base64url")
    try:
        return binascii.a2b_base64(
            segment.encode("ascii").translate(_TO_STANDARD) + b"=" * (-len(segment) % 4),
            strict_mode=True,
        )
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise Malformed("a token segment is not base64url") from exc


def _json_object(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64(segment).decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise Malformed("a token segment is not a JSON object") from exc
    if not isinstance(value, dict):
        raise Malformed("a token segment is not a JSON object")
    return value


def words(value: Any, name: str) -> frozenset[str]:
    """A claim of names (`scope`, `cognito:groups`): a space-separated string or a list of
    strings; Malformed otherwise."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    raise Malformed(f"{name} is neither a string nor a list of strings")


def as_names(value: Sequence[str]) -> tuple[str, ...]:
    """Required scopes or groups as a tuple; a lone string is one name, never its letters (a
    str is a Sequence[str]: `groups="admin"` must not accept a group named "a")."""
    return (value,) if isinstance(value, str) else tuple(value)


class _Checked:
    """Claims that passed the checks independent of time and request; their scopes and
    groups as sets once a call asks for them."""

    __slots__ = ("claims", "groups", "scopes")

    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims
        self.scopes: frozenset[str] | None = None
        self.groups: frozenset[str] | None = None


def require(
    claims: Mapping[str, Any], *, scopes: Sequence[str] = (), groups: Sequence[str] = ()
) -> None:
    """Raise MissingScope / MissingGroup unless verified `claims` carry at least one of
    `scopes` (in `scope`) and one of `groups` (in `cognito:groups`); empty lists ask nothing."""
    scopes, groups = as_names(scopes), as_names(groups)
    if scopes and words(claims.get("scope"), "scope").isdisjoint(scopes):
        raise MissingScope(f"the token has none of the scopes {sorted(scopes)}")
    if groups and words(claims.get("cognito:groups"), "cognito:groups").isdisjoint(groups):
        raise MissingGroup(f"the token is in none of the groups {sorted(groups)}")


def cognito_issuer(user_pool_id: str, region: str | None = None) -> str:
    """A Cognito user pool's issuer; the region defaults to the pool id's prefix."""
    region = region or user_pool_id.partition("_")[0]
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


class Verifier:
    """Checks tokens of one issuer.

    `client_ids`: the app clients accepted (`client_id` of access tokens, `aud` of ID tokens);
    None accepts any client of the issuer, which must be said explicitly. `token_use`: "access",
    "id", or None for either. `leeway`: seconds of clock skew allowed on exp, nbf and iat.
    The JWKS at `{issuer}/.well-known/jwks.json` (or `jwks_url`) is fetched on first use and
    again for an unknown `kid`, at most once per `min_refresh_interval` seconds.
    """

    def __init__(
        self,
        issuer: str | None = None,
        *,
        client_ids: Iterable[str] | None,
        user_pool_id: str | None = None,
        region: str | None = None,
        token_use: TokenUse | None = "access",  # noqa: S107 (not a secret)
        leeway: float = 60,
        min_refresh_interval: float = 60,
        jwks_url: str | None = None,
        timeout: float = 5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if issuer is None:
            if user_pool_id is None:
                raise ValueError("give issuer= or user_pool_id= (and region=)")
            issuer = cognito_issuer(user_pool_id, region)
        elif user_pool_id is not None:
            raise ValueError("give issuer= or user_pool_id=, not both")
        if token_use not in ("access", "id", None):
            raise ValueError('token_use is "access", "id" or None')
        self.issuer = issuer.rstrip("/")
        self.client_ids = None if client_ids is None else frozenset(client_ids)
        self.token_use = token_use
        self.leeway = leeway
        self.keys = KeySet(
            jwks_url or f"{self.issuer}/.well-known/jwks.json",
            min_refresh_interval=min_refresh_interval,
            clock=clock,
            timeout=timeout,
        )
        self._clock = clock
        self._headers: dict[str, str] = {}
        self._claims: dict[str, _Checked] = {}

    def verify(
        self, token: str, *, scopes: Sequence[str] = (), groups: Sequence[str] = ()
    ) -> dict[str, Any]:
        """The token's claims once every check passes, else a TokenError subclass. `scopes` /
        `groups`: the token must carry at least one of each list given (as API Gateway and
        AppSync read them). May block to fetch the JWKS."""
        header, payload, signature = self._split(token)
        kid = self._kid(header)
        key = self.keys.cached(kid) or self.keys.key(kid)
        return self._check(key, header, payload, signature, scopes, groups)

    async def averify(
        self, token: str, *, scopes: Sequence[str] = (), groups: Sequence[str] = ()
    ) -> dict[str, Any]:
        """`verify` for async code: a JWKS fetch never blocks the event loop, and callers
        waiting for the same fetch share it."""
        header, payload, signature = self._split(token)
        kid = self._kid(header)
        key = self.keys.cached(kid) or await self.keys.akey(kid)
        return self._check(key, header, payload, signature, scopes, groups)

    @staticmethod
    def _split(token: str) -> list[str]:
        if not isinstance(token, str):
            raise Malformed("the token is not a string")
        parts = token.split(".")
        if len(parts) != 3:
            raise Malformed("the token is not a compact JWS")
        return parts

    def _kid(self, header: str) -> str:
        kid = self._headers.get(header)
        if kid is not None:
            return kid
        fields = _json_object(header)
        kid = fields.get("kid")
        # RS256 only (RFC 7518 section 3.3): the algorithm is ours, never the token's, so
        # `none` and HS256-keyed-with-the-public-key forgeries never reach a verify call.
        if fields.get("alg") != "RS256":
            raise Malformed(f"algorithm {fields.get('alg')!r} refused: only RS256")
        if "crit" in fields:  # RFC 7515 section 4.1.11: no extension is understood here
            raise Malformed("critical header parameters refused")
        if not isinstance(kid, str):
            raise Malformed("the token header has no kid")
        if len(self._headers) >= _HEADER_CACHE:
            self._headers.clear()
        self._headers[header] = kid
        return kid

    def _check(
        self,
        key: rsa.RSAPublicKey,
        header: str,
        payload: str,
        signature: str,
        scopes: Sequence[str],
        groups: Sequence[str],
    ) -> dict[str, Any]:
        try:
            signed = f"{header}.{payload}".encode("ascii")
        except UnicodeEncodeError as exc:
            raise Malformed("a token segment is not base64url") from exc
        try:
            key.verify(_b64(signature), signed, _PKCS1, _SHA256)
        except InvalidSignature as exc:
            raise BadSignature("the signature does not verify") from exc
        entry = self._claims.get(payload)
        if entry is None:
            entry = self._static_checks(payload)
        claims = entry.claims
        now = self._clock()
        leeway = self.leeway
        if claims["exp"] + leeway < now:
            raise Expired("the token has expired")
        nbf = claims.get("nbf")
        if nbf is not None and nbf > now + leeway:
            raise NotYetValid("the token is not valid yet (nbf)")
        iat = claims.get("iat")
        if iat is not None and iat > now + leeway:
            raise NotYetValid("the token was issued in the future (iat)")
        if scopes:
            if isinstance(scopes, str):
                scopes = (scopes,)
            if entry.scopes is None:
                entry.scopes = words(claims.get("scope"), "scope")
            if entry.scopes.isdisjoint(scopes):
                raise MissingScope(f"the token has none of the scopes {sorted(scopes)}")
        if groups:
            if isinstance(groups, str):
                groups = (groups,)
            if entry.groups is None:
                entry.groups = words(claims.get("cognito:groups"), "cognito:groups")
            if entry.groups.isdisjoint(groups):
                raise MissingGroup(f"the token is in none of the groups {sorted(groups)}")
        return dict(claims)

    def _static_checks(self, payload: str) -> _Checked:
        """The checks that depend on the claims alone, run once per distinct signed payload."""
        claims = _json_object(payload)
        for name in ("exp", "nbf", "iat"):
            value = claims.get(name)
            # type() is: bool is an int, and isinstance with a union type rebuilds it per call.
            if value is None and name != "exp":
                continue
            # A finite number: json reads NaN and Infinity, and a NaN exp would never expire.
            if value is None or type(value) not in _NUMBERS or not math.isfinite(value):
                raise Malformed(f"{name} is not a number")
        if claims.get("iss") != self.issuer:
            raise WrongIssuer(f"issuer {claims.get('iss')!r} is not {self.issuer!r}")
        use = claims.get("token_use")
        if use not in ("access", "id") or (self.token_use is not None and use != self.token_use):
            raise WrongTokenUse(f"token_use {use!r} refused (expected {self.token_use!r})")
        # Cognito: access tokens name their app client in `client_id` and have no `aud`;
        # ID tokens name it in `aud`.
        client = claims.get("client_id") if use == "access" else claims.get("aud")
        if self.client_ids is not None and (
            not isinstance(client, str) or client not in self.client_ids
        ):
            raise WrongAudience(f"client {client!r} is not accepted")
        entry = _Checked(claims)
        if len(self._claims) >= _CLAIMS_CACHE:
            self._claims.clear()
        self._claims[payload] = entry
        return entry
