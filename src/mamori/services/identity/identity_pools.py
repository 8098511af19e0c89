"""Identity pool management: lifecycle, roles and role mappings, principal tags, tags, and the
administrative view of identities (list, describe, delete)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from mamori.domain.errors import InvalidParameterException, ResourceNotFoundException
from mamori.domain.identity.identity_pool import (
    ROLE_KEYS,
    Identity,
    IdentityId,
    IdentityPool,
    IdentityPoolId,
    PrincipalTagMap,
    RoleMapping,
    RoleMappingType,
    is_role_arn,
    login_user_pool,
    new_identity_pool_id,
    oidc_provider_name,
    role_mapping_target,
    user_pool_in,
)
from mamori.services.identity.ports import IdentityPoolStore, IdentityStore
from mamori.services.ports import Clock, Page

MAX_TAGS = 50


def _check_role_arn(arn: str, where: str) -> None:
    if not is_role_arn(arn):
        raise InvalidParameterException(f"{where}: {arn!r} is not a valid IAM role ARN.")


def _check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise InvalidParameterException(f"A resource can have at most {MAX_TAGS} tags.")


def check_pool(pool: IdentityPool) -> None:
    for provider in pool.cognito_identity_providers:
        if user_pool_in(provider.provider_name) is None:
            raise InvalidParameterException(
                f"Invalid Cognito Identity Provider name {provider.provider_name!r}: expected "
                "cognito-idp.<region>.amazonaws.com/<user pool id> or <issuer host>/<pool id>."
            )
    for arn in pool.open_id_connect_provider_arns:
        if oidc_provider_name(arn) is None:
            raise InvalidParameterException(f"Invalid OpenIdConnectProviderARN {arn!r}.")
    _check_tags(pool.tags)


class IdentityPoolService:
    def __init__(
        self,
        store: IdentityPoolStore,
        identities: IdentityStore,
        clock: Clock,
        region: str,
        issuer_host_path: str,
    ) -> None:
        self.region = region
        self._store = store
        self._identities = identities
        self._clock = clock
        self._host_path = issuer_host_path

    async def require(self, pool_id: str) -> IdentityPool:
        pool = await self._store.get_identity_pool(IdentityPoolId(pool_id))
        if pool is None:
            raise ResourceNotFoundException(f"IdentityPool '{pool_id}' not found.")
        return pool

    async def create_identity_pool(self, draft: IdentityPool) -> IdentityPool:
        now = self._clock.now()
        pool = dataclasses.replace(
            draft, id=new_identity_pool_id(self.region), created=now, modified=now
        )
        check_pool(pool)
        await self._store.add_identity_pool(pool)
        return pool

    async def describe_identity_pool(self, pool_id: str) -> IdentityPool:
        return await self.require(pool_id)

    async def update_identity_pool(
        self, pool_id: str, draft: IdentityPool, tags_given: bool
    ) -> IdentityPool:
        current = await self.require(pool_id)
        developer = current.developer_provider_name
        if draft.developer_provider_name and developer not in (None, draft.developer_provider_name):
            # Cognito: a developer provider name cannot change once set.
            raise InvalidParameterException(
                "The DeveloperProviderName of an identity pool cannot be changed once set."
            )
        updated = dataclasses.replace(
            draft,
            id=current.id,
            created=current.created,
            modified=self._clock.now(),
            developer_provider_name=draft.developer_provider_name or developer,
            tags=draft.tags if tags_given else current.tags,
            roles=current.roles,
            role_mappings=current.role_mappings,
            principal_tags=current.principal_tags,
        )
        check_pool(updated)
        await self._store.save_identity_pool(updated)
        return updated

    async def delete_identity_pool(self, pool_id: str) -> None:
        pool = await self.require(pool_id)
        await self._store.delete_identity_pool(pool.id)

    async def list_identity_pools(self, limit: int, token: str | None) -> Page[IdentityPool]:
        return await self._store.list_identity_pools(limit, token)

    # --- roles
    def _check_mapping_key(self, pool: IdentityPool, key: str) -> None:
        user_pool, client_id, _ = role_mapping_target(key)
        if user_pool is not None:
            providers = pool.cognito_providers_for(user_pool)
            if any(client_id in (None, p.client_id) or not p.client_id for p in providers):
                return
        elif key in pool.oidc_provider_names() or key in pool.supported_login_providers:
            return
        raise InvalidParameterException(
            f"Role mapping key {key!r} does not name an identity provider of this identity pool."
        )

    async def set_identity_pool_roles(
        self, pool_id: str, roles: Mapping[str, str], mappings: Sequence[RoleMapping]
    ) -> None:
        pool = await self.require(pool_id)
        for key, arn in roles.items():
            if key not in ROLE_KEYS:
                raise InvalidParameterException(
                    f"Invalid role key {key!r}: use authenticated or unauthenticated."
                )
            _check_role_arn(arn, f"Roles.{key}")
        for mapping in mappings:
            self._check_mapping_key(pool, mapping.provider)
            if mapping.ambiguous_role_resolution is None:
                raise InvalidParameterException(
                    f"RoleMappings.{mapping.provider}: AmbiguousRoleResolution is required."
                )
            if mapping.type is RoleMappingType.RULES and not mapping.rules:
                raise InvalidParameterException(
                    f"RoleMappings.{mapping.provider}: Rules type needs RulesConfiguration."
                )
            for rule in mapping.rules:
                _check_role_arn(rule.role_arn, f"RoleMappings.{mapping.provider}")
        await self._store.save_identity_pool(
            dataclasses.replace(
                pool,
                roles=dict(roles),
                role_mappings=tuple(mappings),
                modified=self._clock.now(),
            )
        )

    async def get_identity_pool_roles(self, pool_id: str) -> IdentityPool:
        return await self.require(pool_id)

    # --- principal tags (attributes for access control)
    async def set_principal_tag_attribute_map(
        self, pool_id: str, provider: str, use_defaults: bool, tags: Mapping[str, str]
    ) -> PrincipalTagMap:
        pool = await self.require(pool_id)
        self._check_provider(pool, provider)
        entry = PrincipalTagMap(provider, use_defaults, dict(tags))
        others = tuple(p for p in pool.principal_tags if p.provider != provider)
        await self._store.save_identity_pool(
            dataclasses.replace(pool, principal_tags=(*others, entry), modified=self._clock.now())
        )
        return entry

    async def get_principal_tag_attribute_map(self, pool_id: str, provider: str) -> PrincipalTagMap:
        pool = await self.require(pool_id)
        self._check_provider(pool, provider)
        found = next((p for p in pool.principal_tags if p.provider == provider), None)
        return found or PrincipalTagMap(provider)

    def _check_provider(self, pool: IdentityPool, provider: str) -> None:
        user_pool = user_pool_in(provider) or login_user_pool(provider, self._host_path)
        if user_pool is not None and pool.cognito_providers_for(user_pool):
            return
        if provider in pool.oidc_provider_names() or provider in pool.supported_login_providers:
            return
        if provider in pool.saml_provider_arns:
            return
        raise ResourceNotFoundException(
            f"Identity provider {provider} is not configured for identity pool {pool.id}."
        )

    # --- tags
    async def tag_resource(self, pool_id: str, tags: Mapping[str, str]) -> None:
        pool = await self.require(pool_id)
        merged = {**pool.tags, **tags}
        _check_tags(merged)
        await self._store.save_identity_pool(dataclasses.replace(pool, tags=merged))

    async def untag_resource(self, pool_id: str, keys: Sequence[str]) -> None:
        pool = await self.require(pool_id)
        drop = set(keys)
        remaining = {k: v for k, v in pool.tags.items() if k not in drop}
        await self._store.save_identity_pool(dataclasses.replace(pool, tags=remaining))

    async def list_tags_for_resource(self, pool_id: str) -> Mapping[str, str]:
        return (await self.require(pool_id)).tags

    # --- identities, as administrators see them
    async def list_identities(
        self, pool_id: str, limit: int, token: str | None
    ) -> tuple[IdentityPool, Page[Identity]]:
        pool = await self.require(pool_id)
        return pool, await self._identities.list_identities(pool.id, limit, token)

    async def describe_identity(self, identity_id: str) -> Identity:
        identity = await self._identities.get_identity(IdentityId(identity_id))
        if identity is None:
            raise ResourceNotFoundException(f"Identity '{identity_id}' not found.")
        return identity

    async def delete_identities(self, identity_ids: Sequence[str]) -> list[str]:
        """Deletes what exists; Cognito reports nothing for ids that were already gone."""
        await self._identities.delete_identities([IdentityId(i) for i in identity_ids])
        return []
