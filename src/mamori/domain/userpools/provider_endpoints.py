"""The social providers' well-known endpoints (Google, Facebook, Login with Amazon, Sign in with
Apple): the defaults, and the overrides a `federation_endpoints` setting names (a test stand-in,
a company proxy). Built once in wiring; services that talk to a provider read it from here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Final

from mamori.domain.userpools.identity_providers import ProviderType

# Cognito: the Graph API version a Facebook provider uses when it names none.
FACEBOOK_DEFAULT_API_VERSION: Final = "v17.0"


@dataclass(frozen=True)
class SocialEndpoints:
    """One provider's URLs. Facebook's hold `{api_version}`, filled by `for_version`."""

    authorize_url: str
    token_url: str
    attributes_url: str  # userinfo / Graph /me / Amazon profile
    issuer: str = ""  # ID tokens' `iss` (Google, Apple); empty: the provider issues none
    jwks_uri: str = ""  # the keys that sign those ID tokens
    token_info_url: str = ""  # Facebook debug_token, Amazon tokeninfo: checks an access token

    def for_version(self, api_version: str) -> SocialEndpoints:
        """The URLs with Facebook's `{api_version}` filled in (others have none to fill)."""
        values = {
            f.name: getattr(self, f.name).replace("{api_version}", api_version)
            for f in fields(self)
        }
        return SocialEndpoints(**values)


GOOGLE: Final = SocialEndpoints(
    authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url="https://www.googleapis.com/oauth2/v4/token",  # noqa: S106 (a URL, not a password)
    attributes_url="https://people.googleapis.com/v1/people/me?personFields=",
    issuer="https://accounts.google.com",
    jwks_uri="https://www.googleapis.com/oauth2/v3/certs",
    token_info_url="https://oauth2.googleapis.com/tokeninfo",  # noqa: S106 (a URL, not a password)
)
FACEBOOK: Final = SocialEndpoints(
    authorize_url="https://www.facebook.com/{api_version}/dialog/oauth",
    token_url="https://graph.facebook.com/{api_version}/oauth/access_token",  # noqa: S106 (a URL, not a password)
    attributes_url="https://graph.facebook.com/{api_version}/me?fields=",
    token_info_url="https://graph.facebook.com/debug_token",  # noqa: S106 (a URL, not a password)
)
AMAZON: Final = SocialEndpoints(
    authorize_url="https://www.amazon.com/ap/oa",
    token_url="https://api.amazon.com/auth/o2/token",  # noqa: S106 (a URL, not a password)
    attributes_url="https://api.amazon.com/user/profile",
    token_info_url="https://api.amazon.com/auth/o2/tokeninfo",  # noqa: S106 (a URL, not a password)
)
APPLE: Final = SocialEndpoints(
    authorize_url="https://appleid.apple.com/auth/authorize",
    token_url="https://appleid.apple.com/auth/token",  # noqa: S106 (a URL, not a password)
    attributes_url="",  # Apple has no userinfo endpoint: the ID token carries the claims
    issuer="https://appleid.apple.com",
    jwks_uri="https://appleid.apple.com/auth/keys",
)

# The setting's key prefix for each provider: "google.token_url=http://127.0.0.1:4000/token".
_PREFIXES: Final = {
    "google": ProviderType.GOOGLE,
    "facebook": ProviderType.FACEBOOK,
    "amazon": ProviderType.LOGIN_WITH_AMAZON,
    "apple": ProviderType.SIGN_IN_WITH_APPLE,
}
_FIELDS: Final = frozenset(f.name for f in fields(SocialEndpoints))


@dataclass(frozen=True)
class ProviderEndpoints:
    google: SocialEndpoints = GOOGLE
    facebook: SocialEndpoints = FACEBOOK
    amazon: SocialEndpoints = AMAZON
    apple: SocialEndpoints = APPLE

    def of(self, provider_type: ProviderType, api_version: str = "") -> SocialEndpoints:
        """The effective URLs of a social provider type (Facebook's for its `api_version`)."""
        match provider_type:
            case ProviderType.GOOGLE:
                return self.google
            case ProviderType.FACEBOOK:
                return self.facebook.for_version(api_version or FACEBOOK_DEFAULT_API_VERSION)
            case ProviderType.LOGIN_WITH_AMAZON:
                return self.amazon
            case ProviderType.SIGN_IN_WITH_APPLE:
                return self.apple
        raise ValueError(f"{provider_type} has no well-known endpoints")

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, str]) -> ProviderEndpoints:
        """The defaults with `{"<provider>.<field>": url}` replaced; ValueError names a bad key."""
        changes: dict[str, dict[str, str]] = {}
        for key, url in overrides.items():
            prefix, _, name = key.partition(".")
            if prefix not in _PREFIXES or name not in _FIELDS:
                raise ValueError(
                    f"unknown federation endpoint {key!r}: use <provider>.<field> with provider "
                    f"one of {sorted(_PREFIXES)} and field one of {sorted(_FIELDS)}"
                )
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"federation endpoint {key!r}: {url!r} is not an http(s) URL")
            changes.setdefault(prefix, {})[name] = url
        endpoints = cls()
        return replace(
            endpoints,
            **{p: replace(getattr(endpoints, p), **c) for p, c in changes.items()},
        )


def parse_overrides(entries: tuple[str, ...]) -> dict[str, str]:
    """`("google.token_url=http://...", ...)` as a mapping; ValueError for an entry without `=`."""
    parsed: dict[str, str] = {}
    for entry in entries:
        key, sep, url = entry.partition("=")
        if not sep or not key.strip() or not url.strip():
            raise ValueError(
                f"federation_endpoints entry {entry!r}: write <provider>.<field>=<url>"
            )
        parsed[key.strip()] = url.strip()
    return parsed
