"""ID, access and refresh tokens: issuing Cognito-shaped JWTs and checking them on every use."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mamori.crypto.aead import Keyring
from mamori.crypto.jose import TokenError, unverified_header_and_issuer, verify
from mamori.crypto.secrets import opaque_token
from mamori.domain.errors import (
    NotAuthorizedException,
    ResourceNotFoundException,
    UserNotFoundException,
)
from mamori.domain.ids import PoolId, UserSub
from mamori.domain.triggers import trigger_attributes
from mamori.domain.userpools.app_client import AppClient
from mamori.domain.userpools.schema import AttributeType
from mamori.domain.userpools.user_pool import UserPool
from mamori.domain.users.federated import IDENTITIES, identities_claim
from mamori.domain.users.group import Group
from mamori.domain.users.user import User
from mamori.protocols.oidc.core import at_hash as hash_of_access_token
from mamori.services.ports import Clock
from mamori.services.tokens.keys import KeyService
from mamori.services.tokens.ports import (
    RefreshSession,
    RefreshSessionStore,
    TokenGroups,
    TokenHolder,
    TokenUsers,
)
from mamori.services.tokens.token_triggers import TokenDraft, TokenSource, TokenTriggers

ADMIN_SCOPE = "aws.cognito.signin.user.admin"
# Cognito's message for an access token whose scopes don't include the one an operation needs
# (the self-service operations: ADMIN_SCOPE; userInfo: openid).
MISSING_SCOPES = "Access Token does not have required scopes"


@dataclass(frozen=True)
class AuthenticationResult:
    access_token: str
    id_token: str
    expires_in: int
    refresh_token: str | None = None
    token_type: str = "Bearer"
    # What the access token's `scope` grants when an OAuth flow chose it; None: the API's.
    scopes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class AccessContext:
    """Who a valid access token speaks for."""

    pool_id: PoolId
    user: User
    client_id: str
    origin_jti: str
    claims: dict[str, Any]


def _claim_value(pool: UserPool, name: str, value: str) -> Any:
    attr = pool.attribute(name)
    if attr is not None and attr.type is AttributeType.BOOLEAN and not attr.is_custom:
        return value == "true"
    if name == "updated_at" and value.isdigit():
        return int(value)
    if name == IDENTITIES:
        return identities_claim(value)  # Cognito: the JSON array itself, not a string
    if name == "address":
        # Cognito: the attribute is a string, the claim OpenID Connect's address object
        # (Core 5.1.1) with that string as `formatted`.
        return {"formatted": value}
    return value


def _by_precedence(groups: Sequence[Group]) -> list[Group]:
    return sorted(groups, key=lambda g: (g.precedence is None, g.precedence or 0, g.name))


def group_claims(groups: Sequence[Group]) -> dict[str, Any]:
    if not groups:
        return {}
    ordered = _by_precedence(groups)
    claims: dict[str, Any] = {"cognito:groups": [g.name for g in ordered]}
    roles = [g.role_arn for g in ordered if g.role_arn]
    if roles:
        claims["cognito:roles"] = roles
        claims["cognito:preferred_role"] = roles[0]
    return claims


class TokenService:
    def __init__(
        self,
        keys: KeyService,
        sessions: RefreshSessionStore,
        users: TokenUsers,
        groups: TokenGroups,
        keyring: Keyring,
        clock: Clock,
        public_url: str,
        triggers: TokenTriggers | None = None,
    ) -> None:
        """`triggers`: the pools' PreTokenGeneration functions (None: never run)."""
        self._triggers = triggers
        self._keys = keys
        self._sessions = sessions
        self._users = users
        self._groups = groups
        self._keyring = keyring
        self._clock = clock
        self._public_url = public_url

    def issuer(self, pool_id: str) -> str:
        return f"{self._public_url}/{pool_id}"

    def refresh_digest(self, token: str) -> str:
        return self._keyring.digest(token, "refresh-token")

    async def issue(
        self,
        pool: UserPool,
        client: AppClient,
        user: User,
        *,
        auth_time: int | None = None,
        session: RefreshSession | None = None,
        new_refresh: bool = True,
        device_key: str | None = None,
        scopes: tuple[str, ...] | None = None,
        nonce: str | None = None,
        at_hash: bool = False,
        origin_jti: str | None = None,
        source: TokenSource = TokenSource.AUTHENTICATION,
        client_metadata: dict[str, str] | None = None,
    ) -> AuthenticationResult:
        """Sign ID and access tokens; start a refresh session unless continuing `session`.
        `device_key`: the device the sign-in was made from (the access token's device_key).
        `scopes`: what an OAuth flow granted (the access token's `scope`, kept by the refresh
        session); None: the API's, ADMIN_SCOPE, or a continued session's. `nonce` and
        `at_hash` (OpenID Connect Core 3.1.3.6) go into the ID token when given / asked.
        `origin_jti`: the new sign-in's id when the caller chose it (an authorization code
        records it before the tokens exist, so a replay can revoke them). `source`: why, as
        the pool's PreTokenGeneration function is told; its errors issue nothing."""
        now = self._clock.now()
        iat = int(now.timestamp())
        auth_time = auth_time if auth_time is not None else iat
        if scopes is None and session is not None:
            scopes = session.scopes
        if session is not None:
            origin_jti = session.origin_jti
        origin_jti = origin_jti or str(uuid.uuid4())
        event_id = str(uuid.uuid4())
        groups = (await self._groups.groups_of(pool.id, user.sub)).items
        gclaims = group_claims(groups)
        validity = client.token_validity
        common = {
            "sub": user.sub,
            "iss": self.issuer(pool.id),
            "origin_jti": origin_jti,
            "event_id": event_id,
            "auth_time": auth_time,
            "iat": iat,
        }
        id_claims: dict[str, Any] = {
            **common,
            **gclaims,
            "aud": client.id,
            "token_use": "id",
            "cognito:username": user.username,
            "exp": iat + int(validity.id_ttl().total_seconds()),
            "jti": str(uuid.uuid4()),
        }
        for name, value in user.attributes.items():
            attr = pool.attribute(name)
            if name == "sub" or not client.can_read(name):
                continue
            if attr is not None and attr.developer_only:
                continue  # dev: attributes are for admin calls only, never in a token
            id_claims[name] = _claim_value(pool, name, value)
        access_claims: dict[str, Any] = {
            **common,
            "cognito:groups": gclaims.get("cognito:groups"),
            "client_id": client.id,
            "token_use": "access",
            "scope": ADMIN_SCOPE if scopes is None else " ".join(scopes),
            "exp": iat + int(validity.access_ttl().total_seconds()),
            "jti": str(uuid.uuid4()),
            "username": user.username,
            "version": 2,
        }
        if access_claims["cognito:groups"] is None:
            del access_claims["cognito:groups"]
        if device_key is not None:
            access_claims["device_key"] = device_key
        if nonce is not None:
            id_claims["nonce"] = nonce
        if self._triggers is not None:
            draft = TokenDraft(
                id_claims,
                access_claims,
                trigger_attributes(user),
                user.username,
                [g.name for g in _by_precedence(groups)],
                gclaims.get("cognito:roles", []),
                gclaims.get("cognito:preferred_role"),
                str(access_claims["scope"]).split(),
            )
            await self._triggers.customize(pool, client, source, draft, client_metadata)
        key = await self._keys.signing_key(pool.id)
        access_token = key.sign(access_claims)
        if at_hash:
            id_claims["at_hash"] = hash_of_access_token(access_token)
        refresh = None
        if new_refresh:
            refresh = opaque_token()
            expires = session.expires if session else now + validity.refresh_ttl()
            await self._sessions.add_session(
                RefreshSession(
                    digest=self.refresh_digest(refresh),
                    pool_id=pool.id,
                    client_id=client.id,
                    sub=user.sub,
                    origin_jti=origin_jti,
                    auth_time=auth_time,
                    created=now,
                    expires=expires,
                    scopes=scopes,
                )
            )
        return AuthenticationResult(
            access_token=access_token,
            id_token=key.sign(id_claims),
            expires_in=int(validity.access_ttl().total_seconds()),
            refresh_token=refresh,
            scopes=scopes,
        )

    async def issue_client_token(
        self, pool: UserPool, client: AppClient, scopes: tuple[str, ...]
    ) -> tuple[str, int]:
        """client_credentials: an access token for the client itself, no user, no refresh
        token; (the token, its lifetime in seconds)."""
        iat = int(self._clock.now().timestamp())
        ttl = int(client.token_validity.access_ttl().total_seconds())
        # Cognito's claims for this grant, and no others: `sub` is the client id, and there is
        # no origin_jti (nothing to revoke: the token lives until it expires).
        claims: dict[str, Any] = {
            "sub": client.id,
            "token_use": "access",
            "scope": " ".join(scopes),
            "auth_time": iat,
            "iss": self.issuer(pool.id),
            "exp": iat + ttl,
            "iat": iat,
            "version": 2,
            "jti": str(uuid.uuid4()),
            "client_id": client.id,
        }
        if self._triggers is not None:
            draft = TokenDraft(None, claims, {}, None, [], [], None, list(scopes))
            await self._triggers.customize(pool, client, TokenSource.CLIENT_CREDENTIALS, draft)
        key = await self._keys.signing_key(pool.id)
        return key.sign(claims), ttl

    async def check_access_token(self, token: str, scope: str = ADMIN_SCOPE) -> AccessContext:
        """Signature, expiry, the `scope` the use needs (the self-service operations: the
        admin scope), revocation and the user's state; NotAuthorized when any fails. A
        client_credentials token speaks for no user and never passes."""
        pool_id, claims = await self.access_claims(token)
        if scope not in str(claims.get("scope", "")).split(" "):
            raise NotAuthorizedException(MISSING_SCOPES)
        if "username" not in claims or "origin_jti" not in claims:
            # A client_credentials token: there is no user for it to speak for.
            raise NotAuthorizedException(MISSING_SCOPES)
        holder = await self.holder_of(pool_id, claims)
        # Cognito: a deleted app client's tokens stop working with the client (DeleteUserPoolClient
        # "users can no longer sign in to the associated application"); the exact message for
        # this case isn't documented, so it is the one revoked tokens get.
        if holder.revoked or not holder.client_exists:
            raise NotAuthorizedException("Access Token has been revoked")
        user = holder.user
        if user is None:
            raise UserNotFoundException("User does not exist.")
        if not user.enabled:
            raise NotAuthorizedException("User is disabled.")
        origin = str(claims.get("origin_jti", ""))
        return AccessContext(pool_id, user, str(claims.get("client_id")), origin, claims)

    async def access_claims(self, token: str) -> tuple[PoolId, dict[str, Any]]:
        """The pool (from `iss`, under this server's public URL) and claims of an access token
        whose signature (the pool's key named by `kid`), expiry and `token_use` are good;
        NotAuthorized otherwise. Nothing about revocation or the user: `holder_of`."""
        try:
            kid, iss = unverified_header_and_issuer(token)
        except TokenError as exc:
            raise NotAuthorizedException("Invalid Access Token") from exc
        prefix = self._public_url + "/"
        if not iss.startswith(prefix):
            raise NotAuthorizedException("Invalid Access Token")
        pool_id = PoolId(iss[len(prefix) :])
        try:
            key = await self._keys.verification_key(pool_id, kid)
        except ResourceNotFoundException as exc:
            raise NotAuthorizedException("Invalid Access Token") from exc
        if key is None:
            raise NotAuthorizedException("Invalid Access Token")
        try:
            claims = verify(token, key, self._clock.now().timestamp())
        except TokenError as exc:
            message = (
                "Access Token has expired" if "expired" in str(exc) else "Invalid Access Token"
            )
            raise NotAuthorizedException(message) from exc
        if claims.get("token_use") != "access":
            raise NotAuthorizedException("Invalid Access Token")
        return pool_id, claims

    async def holder_of(self, pool_id: PoolId, claims: dict[str, Any]) -> TokenHolder:
        """For verified access claims, in one read: the user (None for a client_credentials
        token's client id, or once deleted), whether the sign-in was revoked, whether the app
        client still exists."""
        return await self._users.get_user_for_token(
            pool_id,
            UserSub(str(claims.get("sub"))),
            str(claims.get("origin_jti", "")),
            str(claims.get("client_id")),
        )

    async def session_for(
        self, refresh_token: str, now: datetime
    ) -> tuple[RefreshSession, User | None]:
        """The live session of a refresh token, and its user (None once deleted)."""
        found = await self._sessions.get_session_with_user(self.refresh_digest(refresh_token))
        if found is None:
            raise NotAuthorizedException("Invalid Refresh Token")
        session, user = found
        if session.revoked:
            raise NotAuthorizedException("Refresh Token has been revoked")
        if session.expires <= now:
            raise NotAuthorizedException("Refresh Token has expired")
        return session, user
