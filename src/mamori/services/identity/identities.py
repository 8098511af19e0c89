"""Identities: GetId, OpenID tokens (basic flow), linking and unlinking logins, and
developer-authenticated identities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from mamori.domain.errors import (
    DeveloperUserAlreadyRegisteredException,
    InvalidParameterException,
    NotAuthorizedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from mamori.domain.identity.identity_pool import (
    Identity,
    IdentityId,
    IdentityPool,
    Login,
    aws_provider_name,
    identity_region,
    login_user_pool,
    new_identity_id,
)
from mamori.domain.identity.role_mapping import amr, principal_tags
from mamori.services.identity.identity_pools import IdentityPoolService
from mamori.services.identity.logins import LoginVerifier, VerifiedLogin
from mamori.services.identity.ports import IdentityStore
from mamori.services.ports import Clock, Page
from mamori.services.tokens.identity_tokens import TAGS_CLAIM, IdentityTokenService

# Cognito: GetOpenIdTokenForDeveloperIdentity tokens last 15 minutes unless TokenDuration says.
DEVELOPER_TOKEN_TTL = timedelta(minutes=15)
_LOGINS_DONT_MATCH = (
    "Logins don't match. Please include at least one valid login for this identity or "
    "identity pool."
)


@dataclass(frozen=True)
class Authenticated:
    """An identity with the logins that proved it in this request (none: unauthenticated)."""

    pool: IdentityPool
    identity: Identity
    logins: Sequence[VerifiedLogin] = ()

    @property
    def deciding(self) -> VerifiedLogin | None:
        """The login whose provider's role mapping and tag map apply: the first one given."""
        return self.logins[0] if self.logins else None


@dataclass(frozen=True)
class TokenInputs:
    amr: list[str]
    tags: dict[str, str] = field(default_factory=dict)


def token_inputs(auth: Authenticated) -> TokenInputs:
    entries: list[tuple[str, str]] = []
    for login in auth.logins:
        if login.identity_id is not None:  # a developer token: carry its own amr entries
            raw = login.claims.get("amr")
            amr_list = [str(a) for a in raw] if isinstance(raw, list) else []
            entries.extend(zip(amr_list[1::2], amr_list[2::2], strict=False))
        else:
            entries.append((login.ref.provider, login.qualified))
    deciding = auth.deciding
    tags: dict[str, str] = {}
    if deciding is not None and deciding.identity_id is not None:
        tags = _tags_of_token(deciding.claims)
    elif deciding is not None:
        tags = principal_tags(auth.pool, deciding.ref, deciding.claims)
    return TokenInputs(amr(entries), tags)


def _tags_of_token(claims: Mapping[str, Any]) -> dict[str, str]:
    block = claims.get(TAGS_CLAIM)
    raw = block.get("principal_tags") if isinstance(block, dict) else None
    if not isinstance(raw, dict):
        return {}
    return {str(k): str(v[0]) for k, v in raw.items() if isinstance(v, list) and v}


class IdentityService:
    def __init__(
        self,
        pools: IdentityPoolService,
        store: IdentityStore,
        verifier: LoginVerifier,
        tokens: IdentityTokenService,
        clock: Clock,
        issuer_host_path: str,
    ) -> None:
        self._pools = pools
        self._store = store
        self._verifier = verifier
        self._tokens = tokens
        self._clock = clock
        self._host_path = issuer_host_path

    async def _identity(self, identity_id: str, pool: IdentityPool | None = None) -> Identity:
        identity = await self._store.get_identity(IdentityId(identity_id))
        if identity is None or (pool is not None and identity.pool_id != pool.id):
            raise ResourceNotFoundException(f"Identity '{identity_id}' not found.")
        return identity

    async def _new_identity(self, pool: IdentityPool, logins: Sequence[Login]) -> Identity:
        now = self._clock.now()
        identity = Identity(
            new_identity_id(identity_region(pool.id)), pool.id, now, now, tuple(logins)
        )
        return await self._store.add_identity(identity)

    async def _owners(self, pool: IdentityPool, logins: Sequence[Login]) -> dict[Login, Identity]:
        owners: dict[Login, Identity] = {}
        for login in logins:
            found = await self._store.find_identity(pool.id, login)
            if found is not None:
                owners[login] = found
        return owners

    async def _link_new(self, identity: Identity, logins: Sequence[Login]) -> Identity:
        new = [login for login in logins if login not in identity.logins]
        if not new:
            return identity
        await self._store.link_logins(identity.id, new, self._clock.now())
        return await self._identity(identity.id)

    # --- GetId
    async def get_id(self, pool_id: str, logins: Mapping[str, str]) -> Identity:
        pool = await self._pools.require(pool_id)
        if not logins:
            if not pool.allow_unauthenticated:
                raise NotAuthorizedException(
                    "Unauthenticated access is not supported for this identity pool."
                )
            return await self._new_identity(pool, ())
        verified = await self._verifier.verify(pool, logins)
        links = [v.login for v in verified if v.login is not None]
        ids = {v.identity_id for v in verified if v.identity_id is not None}
        ids.update(i.id for i in (await self._owners(pool, links)).values())
        if len(ids) > 1:
            raise ResourceConflictException("The logins are linked to different identities.")
        if ids:
            return await self._link_new(await self._identity(ids.pop(), pool), links)
        return await self._new_identity(pool, links)

    # --- proving an identity: GetOpenIdToken, GetCredentialsForIdentity, UnlinkIdentity
    async def authenticate(self, identity_id: str, logins: Mapping[str, str]) -> Authenticated:
        identity = await self._identity(identity_id)
        pool = await self._pools.require(identity.pool_id)
        return await self._authenticate(pool, identity, logins)

    async def _authenticate(
        self, pool: IdentityPool, identity: Identity, logins: Mapping[str, str]
    ) -> Authenticated:
        verified = await self._verifier.verify(pool, logins) if logins else []
        if not verified:
            if identity.authenticated:
                raise NotAuthorizedException(f"Access to Identity '{identity.id}' is forbidden.")
            if not pool.allow_unauthenticated:
                raise NotAuthorizedException(
                    "Unauthenticated access is not supported for this identity pool."
                )
            return Authenticated(pool, identity)
        if any(v.identity_id not in (None, identity.id) for v in verified):
            raise NotAuthorizedException(_LOGINS_DONT_MATCH)
        links = [v.login for v in verified if v.login is not None]
        owners = await self._owners(pool, links)
        others = {owner.id for owner in owners.values() if owner.id != identity.id}
        if others:
            if identity.authenticated or len(others) > 1:
                raise NotAuthorizedException(_LOGINS_DONT_MATCH)
            # Cognito: a guest who signs in as a user who already has an identity is merged
            # into it, and the answer names the surviving identity (Amplify relies on this).
            survivor = others.pop()
            await self._store.merge_identities(identity.id, survivor, self._clock.now())
            identity = await self._identity(survivor)
        proven = bool(owners) or any(v.identity_id == identity.id for v in verified)
        if identity.authenticated and not proven:
            # A new provider joins an authenticated identity only next to one it already has.
            raise NotAuthorizedException(_LOGINS_DONT_MATCH)
        identity = await self._link_new(identity, links)
        return Authenticated(pool, identity, verified)

    async def get_open_id_token(
        self, identity_id: str, logins: Mapping[str, str]
    ) -> tuple[Identity, str]:
        identity = await self._identity(identity_id)
        pool = await self._pools.require(identity.pool_id)
        if pool.allow_classic_flow is False:
            raise InvalidParameterException(
                "Basic (classic) flow is not enabled, please use enhanced flow."
            )
        auth = await self._authenticate(pool, identity, logins)
        inputs = token_inputs(auth)
        return auth.identity, await self._tokens.sign(auth.identity, inputs.amr, inputs.tags)

    def _canonical_provider(self, key: str) -> str:
        user_pool = login_user_pool(key, self._host_path)
        return aws_provider_name(user_pool) if user_pool is not None else key

    async def unlink_identity(
        self, identity_id: str, logins: Mapping[str, str], logins_to_remove: Sequence[str]
    ) -> None:
        auth = await self.authenticate(identity_id, logins)
        if not auth.logins:
            raise NotAuthorizedException(_LOGINS_DONT_MATCH)
        providers = {self._canonical_provider(k) for k in logins_to_remove}
        drop = [login for login in auth.identity.logins if login.provider in providers]
        if drop:
            await self._store.unlink_logins(auth.identity.id, drop, self._clock.now())

    # --- developer-authenticated identities
    def _developer_name(self, pool: IdentityPool, given: str | None = None) -> str:
        name = pool.developer_provider_name
        if not name:
            raise InvalidParameterException(
                f"Identity pool {pool.id} has no DeveloperProviderName."
            )
        if given is not None and given != name:
            raise InvalidParameterException(
                f"DeveloperProviderName {given} does not match the identity pool's."
            )
        return name

    async def get_open_id_token_for_developer_identity(
        self,
        pool_id: str,
        identity_id: str | None,
        logins: Mapping[str, str],
        tags: Mapping[str, str],
        duration_seconds: int | None,
    ) -> tuple[Identity, str]:
        pool = await self._pools.require(pool_id)
        name = self._developer_name(pool)
        subject = logins.get(name)
        if not subject:
            raise InvalidParameterException(
                f"Logins must contain the developer provider {name} of this identity pool."
            )
        others = {k: v for k, v in logins.items() if k != name}
        verified = await self._verifier.verify(pool, others) if others else []
        developer = Login(name, subject)
        links = [developer, *(v.login for v in verified if v.login is not None)]
        owners = await self._owners(pool, links)
        if identity_id is not None:
            identity = await self._identity(identity_id, pool)
            if owners.get(developer, identity).id != identity.id:
                raise DeveloperUserAlreadyRegisteredException(
                    "The developer user identifier is already registered with a different "
                    "identity ID."
                )
        else:
            ids = {i.id for i in owners.values()}
            if len(ids) > 1:
                raise ResourceConflictException("The logins are linked to different identities.")
            identity = (
                await self._identity(ids.pop()) if ids else await self._new_identity(pool, links)
            )
        if any(owner.id != identity.id for owner in owners.values()):
            raise ResourceConflictException("A login is linked to a different identity.")
        identity = await self._link_new(identity, links)
        entries = [(name, f"{name}:{pool.id}:{subject}")]
        entries.extend((v.ref.provider, v.qualified) for v in verified)
        ttl = timedelta(seconds=duration_seconds) if duration_seconds else DEVELOPER_TOKEN_TTL
        return identity, await self._tokens.sign(identity, amr(entries), dict(tags), ttl)

    async def lookup_developer_identity(
        self,
        pool_id: str,
        identity_id: str | None,
        developer_user_identifier: str | None,
        limit: int,
        token: str | None,
    ) -> tuple[Identity, Page[str]]:
        pool = await self._pools.require(pool_id)
        name = self._developer_name(pool)
        if not identity_id and not developer_user_identifier:
            raise InvalidParameterException(
                "Either IdentityId or DeveloperUserIdentifier is required."
            )
        identity: Identity | None = None
        if developer_user_identifier:
            identity = await self._store.find_identity(
                pool.id, Login(name, developer_user_identifier)
            )
            if identity is None:
                raise ResourceNotFoundException("Developer user identifier not found.")
            if identity_id and identity.id != identity_id:
                raise ResourceConflictException(
                    "The developer user identifier belongs to a different identity."
                )
        else:
            identity = await self._identity(str(identity_id), pool)
        return identity, await self._store.subjects_of(identity.id, name, limit, token)

    async def merge_developer_identities(
        self, source: str, destination: str, provider: str, pool_id: str
    ) -> Identity:
        pool = await self._pools.require(pool_id)
        name = self._developer_name(pool, provider)
        found = []
        for subject in (source, destination):
            identity = await self._store.find_identity(pool.id, Login(name, subject))
            if identity is None:
                raise ResourceNotFoundException(f"Developer user identifier {subject} not found.")
            found.append(identity)
        src, dst = found
        if src.id == dst.id:
            return dst
        shared = {login.provider for login in src.logins if login.provider != name} & {
            login.provider for login in dst.logins if login.provider != name
        }
        if shared:
            raise ResourceConflictException(
                f"Both identities have logins of {sorted(shared)[0]}; they cannot be merged."
            )
        await self._store.merge_identities(src.id, dst.id, self._clock.now())
        return await self._identity(dst.id)

    async def unlink_developer_identity(
        self, identity_id: str, pool_id: str, provider: str, subject: str
    ) -> None:
        pool = await self._pools.require(pool_id)
        name = self._developer_name(pool, provider)
        identity = await self._identity(identity_id, pool)
        login = Login(name, subject)
        if login not in identity.logins:
            raise ResourceNotFoundException(
                "The developer user identifier is not linked to this identity."
            )
        await self._store.unlink_logins(identity.id, [login], self._clock.now())
