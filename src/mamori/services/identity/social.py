"""Social logins of identity pools' SupportedLoginProviders: Google and Sign in with Apple ID
tokens through their JWKS, Facebook and Login with Amazon access tokens through their APIs."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mamori.crypto.jose import TokenError
from mamori.crypto.jwks import pick_key, token_header, verify_with_jwk
from mamori.domain.errors import ExternalServiceException, NotAuthorizedException
from mamori.services.identity.ports import (
    OidcError,
    OidcKeySource,
    SocialProviderDown,
    SocialTokenInspector,
    SocialTokenRefused,
)
from mamori.services.ports import Clock

GOOGLE = "accounts.google.com"
APPLE = "appleid.apple.com"
FACEBOOK = "graph.facebook.com"
AMAZON = "www.amazon.com"
SOCIAL_PROVIDERS = frozenset({GOOGLE, APPLE, FACEBOOK, AMAZON})

# Google's ID tokens name their issuer either way (Google's own documentation says to accept
# both); Apple's always with the scheme.
_ISSUERS: Mapping[str, frozenset[str]] = {
    GOOGLE: frozenset({"accounts.google.com", "https://accounts.google.com"}),
    APPLE: frozenset({"https://appleid.apple.com"}),
}
_CLOCK_SKEW_SECONDS = 300
_AUDIENCE = "Invalid login token. Incorrect token audience."


@dataclass(frozen=True)
class SocialLogin:
    subject: str
    claims: Mapping[str, Any] = field(repr=False)


def configured_ids(value: str) -> tuple[str, ...]:
    """The app or client ids of a SupportedLoginProviders entry.

    Cognito: one entry per provider; several ids (an app's web, iOS and Android clients) are
    separated by `;`, the one separator the API's pattern (`[\\w.;_/-]+`) lets through, as in
    Twitter's `<key>;<secret>`. A comma, as the console writes them, is accepted too.
    """
    return tuple(part.strip() for part in re.split(r"[;,]", value) if part.strip())


def _id_in(audience: Any, accepted: Sequence[str]) -> bool:
    values = audience if isinstance(audience, list) else [audience]
    return any(isinstance(v, str) and v in accepted for v in values)


class SocialLogins:
    def __init__(
        self,
        keys: OidcKeySource,
        jwks_urls: Mapping[str, str],
        inspectors: Mapping[str, SocialTokenInspector],
        clock: Clock,
        issuers: Mapping[str, str] | None = None,
    ) -> None:
        """`jwks_urls`: GOOGLE's and APPLE's key sets; `inspectors`: FACEBOOK's and AMAZON's;
        `issuers`: an `iss` accepted besides the provider's own (the `issuer` of a
        `federation_endpoints` override: a stand-in issues tokens under its own URL)."""
        self._keys = keys
        self._jwks_urls = jwks_urls
        self._inspectors = inspectors
        self._clock = clock
        self._issuers = {
            provider: own | {issuers[provider]} if issuers and issuers.get(provider) else own
            for provider, own in _ISSUERS.items()
        }

    async def verify(self, provider: str, configured: str, token: str) -> SocialLogin:
        """A login of `provider` (one of SOCIAL_PROVIDERS) whose pool accepts `configured`'s
        ids (`configured_ids`); NotAuthorizedException for a bad token,
        ExternalServiceException when the provider cannot say."""
        accepted = configured_ids(configured)
        if provider in self._jwks_urls:
            return await self._id_token(provider, accepted, token)
        return await self._access_token(provider, accepted, token)

    async def _id_token(self, provider: str, accepted: Sequence[str], token: str) -> SocialLogin:
        url = self._jwks_urls[provider]
        now = self._clock.now().timestamp()
        try:
            kid, alg = token_header(token)
            if alg != "RS256":  # both providers sign with RS256 only
                raise TokenError(f"unexpected algorithm {alg}")
            try:
                jwk = pick_key(await self._keys.jwks_at(url), kid, alg)
            except TokenError:  # perhaps a key the provider has just rotated in
                jwk = pick_key(await self._keys.jwks_at(url, refresh=True), kid, alg)
            claims = verify_with_jwk(token, jwk, alg, now)
        except TokenError as exc:
            if "expired" in str(exc):
                raise NotAuthorizedException("Invalid login token. Token expired.") from exc
            raise NotAuthorizedException(
                f"Invalid login token. Couldn't verify signed token: not an ID token signed by "
                f"{provider}'s published keys."
            ) from exc
        except OidcError as exc:
            raise ExternalServiceException(
                f"The signing keys of {provider} could not be fetched; try again later."
            ) from exc
        if claims.get("iss") not in self._issuers[provider]:
            raise NotAuthorizedException("Invalid login token. Issuer doesn't match providerName")
        if not _id_in(claims.get("aud"), accepted):
            raise NotAuthorizedException(
                f"{_AUDIENCE} The token was issued to a client id this identity pool does not "
                f"list for {provider}."
            )
        iat = claims.get("iat")
        if not isinstance(iat, int | float) or iat > now + _CLOCK_SKEW_SECONDS:
            raise NotAuthorizedException(
                "Invalid login token. The token's issue time (iat) is missing or in the future."
            )
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise NotAuthorizedException("Invalid login token. Missing a required claim: sub")
        return SocialLogin(sub, claims)

    async def _access_token(
        self, provider: str, accepted: Sequence[str], token: str
    ) -> SocialLogin:
        inspector = self._inspectors[provider]
        try:
            account = await inspector.inspect(token)
        except SocialTokenRefused as exc:
            raise NotAuthorizedException(
                f"Invalid login token. {provider} does not accept the access token "
                "(not one it issued, expired or revoked)."
            ) from exc
        except SocialProviderDown as exc:
            raise ExternalServiceException(
                f"{provider} could not verify the access token; try again later."
            ) from exc
        if not any(app in accepted for app in account.app_ids):
            raise NotAuthorizedException(
                f"{_AUDIENCE} The access token was issued to an app this identity pool does "
                f"not list for {provider}."
            )
        return SocialLogin(account.subject, account.claims)
