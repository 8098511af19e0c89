"""Sign in with Apple through the user pool's domain (issue 12 item 2): the authorize request
(form_post, the scopes space-separated, a nonce, no PKCE: Apple documents none), the fields of
Apple's POSTed answer mamori carries to the GET that finishes it, the client secret Apple's token
endpoint takes (an ES256 JWT signed with the provider's .p8 `private_key`, `kid` its `key_id`,
issued by its `team_id` for its `client_id`, the Services ID), and the claims mapped: the verified
ID token's with the name from the `user` JSON Apple posts at the first authorization only.
OidcFederation (services/federation/oidc.py) runs the dance and makes the user."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from mamori.crypto.jose import sign_es256
from mamori.domain.userpools.identity_providers import IdentityProvider
from mamori.domain.userpools.provider_endpoints import SocialEndpoints
from mamori.services.federation.ports import OidcEndpoints

# Apple: the client secret's audience.
APPLE_AUDIENCE: Final = "https://appleid.apple.com"
# Apple takes up to six months; one redemption needs minutes.
CLIENT_SECRET_SECONDS: Final = 300
# Apple's answer when the person cancels at its sign-in page: the app hears access_denied.
CANCELLED: Final = "user_cancelled_authorize"
# What Apple's form_post may carry and the most mamori keeps of each (characters). Apple's codes
# and errors are short; the state is ours (states.MAX_STATE bounds it when it is opened); the
# `user` JSON is a name and an email. Apple's front-channel `id_token` is not kept: the one the
# token endpoint answers (over TLS, for the client secret) is the one verified and used.
POSTED_FIELDS: Final = {
    "code": 1024,
    "state": 8192,
    "user": 2048,
    "error": 128,
}
_USER_NAMES: Final = ("firstName", "lastName")


class PostedAnswerError(ValueError):
    """A POSTed answer mamori does not carry on: a known field too long."""


def authorize_params(
    provider: IdentityProvider, redirect_uri: str, state: str, nonce: str
) -> dict[str, str]:
    """Apple's /auth/authorize query. Cognito asks for form_post always; Apple requires it when
    any scope (`name`, `email`) is asked for, and then answers by a cross-site POST."""
    params = {
        "client_id": provider.detail("client_id") or "",
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "response_mode": "form_post",
        "state": state,
        "nonce": nonce,
    }
    if provider.scopes:
        params["scope"] = " ".join(provider.scopes)
    return params


def posted_answer(fields: Mapping[str, str]) -> dict[str, str]:
    """The fields of a provider's POSTed answer that are carried on (unknown ones dropped);
    PostedAnswerError when one is longer than its bound."""
    kept: dict[str, str] = {}
    for name, limit in POSTED_FIELDS.items():
        value = fields.get(name)
        if value is None:
            continue
        if len(value) > limit:
            raise PostedAnswerError(f"the field {name!r} is too long")
        kept[name] = value
    return kept


def endpoints_of(apple: SocialEndpoints) -> OidcEndpoints:
    """Apple's endpoints as a relying party calls them (client_secret_post at its token URL)."""
    return OidcEndpoints(
        issuer=apple.issuer,
        authorization_endpoint=apple.authorize_url,
        token_endpoint=apple.token_url,
        jwks_uri=apple.jwks_uri,
        token_auth_methods=("client_secret_post",),
    )


def client_secret(provider: IdentityProvider, now: float) -> str:
    """The client secret for one redemption at Apple's token endpoint (TokenError when the
    provider's private_key is not an EC P-256 key)."""
    issued = int(now)
    claims = {
        "iss": provider.detail("team_id") or "",
        "iat": issued,
        "exp": issued + CLIENT_SECRET_SECONDS,
        "aud": APPLE_AUDIENCE,
        "sub": provider.detail("client_id") or "",
    }
    return sign_es256(claims, provider.detail("private_key") or "", provider.detail("key_id") or "")


def user_claims(user: str | None) -> dict[str, str]:
    """`firstName`, `lastName`, `name` ("first last") and `email` from the `user` JSON Apple
    posts at a person's first authorization only (`{"name": {"firstName", "lastName"},
    "email"}`); nothing from anything else. Apple does not sign it: it only ever adds the
    name, and the verified ID token's claims win over it (services/federation/oidc.py)."""
    if not user:
        return {}
    try:
        parsed: Any = json.loads(user)
    except (ValueError, RecursionError):  # nested past the parser's depth
        return {}
    if not isinstance(parsed, dict):
        return {}
    claims: dict[str, str] = {}
    name = parsed.get("name")
    if isinstance(name, dict):
        for key in _USER_NAMES:
            value = name.get(key)
            if isinstance(value, str) and value.strip():
                claims[key] = value.strip()
    full = " ".join(claims[k] for k in _USER_NAMES if k in claims)
    if full:
        claims["name"] = full
    email = parsed.get("email")
    if isinstance(email, str) and email:
        claims["email"] = email
    return claims


def sign_in_claims(id_token: Mapping[str, Any], user: str | None) -> dict[str, Any]:
    """What the attribute mapping reads: the `user` JSON's names under the verified ID token's
    claims (`sub`, `email`, `email_verified` and `is_private_email` as Apple sends them, the
    strings "true"/"false" or booleans)."""
    return {**user_claims(user), **id_token}
