"""The userInfo endpoint (OpenID Connect Core 5.3): the signed-in user's attributes, as many as
the access token's scopes and the client's read permissions allow."""

from __future__ import annotations

from mamori.domain.errors import NotAuthorizedException, ResourceNotFoundException
from mamori.protocols.oauth2.errors import InsufficientScope, InvalidToken
from mamori.protocols.oidc.core import EMAIL_CLAIMS, OPENID, PHONE_CLAIMS
from mamori.services.tokens.pool_tokens import MISSING_SCOPES, TokenService
from mamori.services.userpools.clients import ClientService

# Cognito: `profile` returns these standard attributes and every custom one.
PROFILE_CLAIMS = (
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
)
_BY_SCOPE = {"email": EMAIL_CLAIMS, "phone": PHONE_CLAIMS, "address": ("address",)}


def _wanted(scopes: set[str], name: str) -> bool:
    if not scopes & {"profile", "email", "phone", "address"}:
        return True  # Cognito: `openid` alone returns every attribute the client can read
    if "profile" in scopes and (name in PROFILE_CLAIMS or name.startswith("custom:")):
        return True
    return any(name in claims for scope, claims in _BY_SCOPE.items() if scope in scopes)


class UserInfo:
    def __init__(self, tokens: TokenService, clients: ClientService) -> None:
        self._tokens = tokens
        self._clients = clients

    async def user_info(self, pool_id: str, access_token: str) -> dict[str, str]:
        """The claims for a token of `pool_id` (the domain's pool) with the `openid` scope."""
        try:
            ctx = await self._tokens.check_access_token(access_token, OPENID)
        except NotAuthorizedException as exc:
            if exc.message == MISSING_SCOPES:
                raise InsufficientScope("The access token has no openid scope.") from exc
            raise InvalidToken(exc.message) from exc
        if ctx.pool_id != pool_id:
            raise InvalidToken("The access token is not this user pool's.")
        try:
            pool, client = await self._clients.client_in_pool(ctx.pool_id, ctx.client_id)
        except ResourceNotFoundException as exc:
            raise InvalidToken("Access Token has been revoked") from exc
        scopes = set(str(ctx.claims.get("scope", "")).split())
        user = ctx.user
        out: dict[str, str] = {"sub": user.sub}
        for name, value in user.attributes.items():
            attr = pool.attribute(name)
            if name == "sub" or (attr is not None and attr.developer_only):
                continue
            if client.can_read(name) and _wanted(scopes, name):
                # Cognito: every value is a string here, email_verified included.
                out[name] = value
        out["username"] = user.username
        return out
