"""Forward auth (a mamori extension; Cognito has none): a reverse proxy asks, for every request
it passes on, whether a bearer access token of one pool is good now, as GetUser would judge it,
and meets the route's requirements (client ids, scopes, groups). Reads only, never writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mamori.domain.errors import NotAuthorizedException
from mamori.protocols.oauth2.errors import InsufficientScope, InvalidToken
from mamori.services.tokens.pool_tokens import TokenService


@dataclass(frozen=True)
class Requirements:
    """What a route asks of a token: its client among `client_ids` (any, when empty), every one
    of `scopes`, and membership of at least one of `groups` (none asked: any user)."""

    client_ids: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Bearer:
    """Who a good token speaks for, for the proxy to hand on. A client_credentials token speaks
    for its client: `sub` is the client id, no username, no groups."""

    sub: str
    username: str | None
    client_id: str
    scopes: tuple[str, ...]
    groups: tuple[str, ...]


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


class ForwardAuth:
    def __init__(self, tokens: TokenService) -> None:
        self._tokens = tokens

    async def check(self, pool_id: str, token: str, wanted: Requirements) -> Bearer:
        """InvalidToken (401) for a token that is malformed, forged, expired, another pool's,
        revoked, its client's deleted, its user's deleted or disabled, or another client's;
        InsufficientScope (403) for a good token short of a scope or a group."""
        try:
            token_pool, claims = await self._tokens.access_claims(token)
        except NotAuthorizedException as exc:
            raise InvalidToken(exc.message) from exc
        if token_pool != pool_id:
            raise InvalidToken("The access token is not this user pool's.")
        client_id = str(claims.get("client_id", ""))
        if wanted.client_ids and client_id not in wanted.client_ids:
            # RFC 6750 3.1: a token for another audience is an invalid token, not a scope matter.
            raise InvalidToken("The access token was issued to another app client.")
        holder = await self._tokens.holder_of(token_pool, claims)
        if holder.revoked or not holder.client_exists:
            raise InvalidToken("Access Token has been revoked")
        username = claims.get("username")
        if username is not None or "origin_jti" in claims:
            # A user's token: the user must still exist and be enabled, as GetUser asks.
            if holder.user is None:
                raise InvalidToken("User does not exist.")
            if not holder.user.enabled:
                raise InvalidToken("User is disabled.")
        scopes = tuple(s for s in str(claims.get("scope", "")).split(" ") if s)
        missing = sorted(wanted.scopes - set(scopes))
        if missing:
            raise InsufficientScope(f"The access token lacks the scope {' '.join(missing)}.")
        groups = _strings(claims.get("cognito:groups"))
        if wanted.groups and not wanted.groups & set(groups):
            raise InsufficientScope("The user is in none of the groups this resource needs.")
        return Bearer(
            sub=str(claims.get("sub", "")),
            username=None if username is None else str(username),
            client_id=client_id,
            scopes=scopes,
            groups=groups,
        )
