"""User pool lifecycle: create, describe, update, delete, list, custom attributes and tags."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from mamori.domain.attributes import (
    STANDARD_NAMES,
    STANDARD_SCHEMA,
    SchemaAttribute,
    custom_name,
)
from mamori.domain.errors import (
    InvalidParameterException,
    ResourceNotFoundException,
)
from mamori.domain.ids import PoolId, new_pool_id
from mamori.domain.user_pool import UserPool
from mamori.ports import Clock, Page, PoolStore
from mamori.services.keys import KeyService

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_CUSTOM_ATTRIBUTES = 50
_IMMUTABLE_ON_UPDATE = (
    "name",
    "schema",
    "username_attributes",
    "alias_attributes",
    "case_sensitive",
    "tags",
)


def merge_schema(
    requested: Sequence[SchemaAttribute], base: Sequence[SchemaAttribute] = STANDARD_SCHEMA
) -> tuple[SchemaAttribute, ...]:
    """Standard attributes with the request's overrides, then custom ones under `custom:`."""
    by_name = {a.name: a for a in base}
    for attr in requested:
        if attr.name in STANDARD_NAMES:
            if attr.name == "sub":
                continue
            by_name[attr.name] = dataclasses.replace(
                attr,
                type=by_name[attr.name].type,
                min_length=attr.min_length
                if attr.min_length is not None
                else by_name[attr.name].min_length,
                max_length=attr.max_length
                if attr.max_length is not None
                else by_name[attr.name].max_length,
            )
            continue
        name = custom_name(attr.name)
        if name in by_name:
            raise InvalidParameterException(f"Existing attribute already has name {name}.")
        by_name[name] = dataclasses.replace(attr, name=name, required=False)
    custom = [a for a in by_name.values() if a.is_custom]
    if len(custom) > MAX_CUSTOM_ATTRIBUTES:
        raise InvalidParameterException(
            f"A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes."
        )
    return tuple(by_name.values())


def check_identifiers(pool: UserPool) -> None:
    if pool.username_attributes and pool.alias_attributes:
        raise InvalidParameterException(
            "UsernameAttributes and AliasAttributes cannot be set together."
        )
    for attr in pool.auto_verified_attributes:
        if attr not in {"email", "phone_number"}:
            raise InvalidParameterException(
                f"AutoVerifiedAttributes can only contain email and phone_number, not {attr}."
            )
    if pool.password_policy.minimum_length < 6 or pool.password_policy.minimum_length > 99:
        raise InvalidParameterException("PasswordPolicy.MinimumLength must be between 6 and 99.")


class PoolService:
    def __init__(self, store: PoolStore, keys: KeyService, clock: Clock, region: str) -> None:
        self.region = region
        self._store = store
        self._keys = keys
        self._clock = clock

    async def require(self, pool_id: str) -> UserPool:
        pool = await self._store.get_pool(PoolId(pool_id))
        if pool is None:
            raise ResourceNotFoundException(f"User pool {pool_id} does not exist.")
        return pool

    async def create_user_pool(self, draft: UserPool) -> UserPool:
        now = self._clock.now()
        pool = dataclasses.replace(
            draft,
            id=new_pool_id(self.region),
            created=now,
            modified=now,
            schema=merge_schema(draft.schema),
        )
        check_identifiers(pool)
        # Keys first: a pool row never exists without a key to sign its tokens.
        await self._keys.create_for_pool(pool.id)
        await self._store.add_pool(pool)
        return pool

    async def describe_user_pool(self, pool_id: str) -> tuple[UserPool, int]:
        pool = await self.require(pool_id)
        return pool, await self._store.count_users(pool.id)

    async def update_user_pool(self, pool_id: str, draft: UserPool) -> UserPool:
        current = await self.require(pool_id)
        keep = {name: getattr(current, name) for name in _IMMUTABLE_ON_UPDATE}
        updated = dataclasses.replace(
            draft, id=current.id, created=current.created, modified=self._clock.now(), **keep
        )
        check_identifiers(updated)
        await self._store.save_pool(updated)
        return updated

    async def delete_user_pool(self, pool_id: str) -> None:
        pool = await self.require(pool_id)
        if pool.deletion_protection:
            raise InvalidParameterException(
                "The user pool cannot be deleted because deletion protection is activated."
            )
        await self._store.delete_pool(pool.id)
        self._keys.forget(pool.id)

    async def list_user_pools(self, limit: int, token: str | None) -> Page[UserPool]:
        return await self._store.list_pools(limit, token)

    async def add_custom_attributes(
        self, pool_id: str, attributes: Sequence[SchemaAttribute]
    ) -> None:
        pool = await self.require(pool_id)
        for attr in attributes:
            if attr.name in STANDARD_NAMES:
                raise InvalidParameterException(
                    f"{attr.name} is a standard attribute and cannot be added as custom."
                )
        schema = merge_schema(attributes, pool.schema)
        await self._store.save_pool(
            dataclasses.replace(pool, schema=schema, modified=self._clock.now())
        )

    # --- tags (on user pools, addressed by ARN)
    async def tag_resource(self, pool_id: str, tags: Mapping[str, str]) -> None:
        pool = await self.require(pool_id)
        merged = {**pool.tags, **tags}
        if len(merged) > 50:
            raise InvalidParameterException("A resource can have at most 50 tags.")
        await self._store.save_pool(dataclasses.replace(pool, tags=merged))

    async def untag_resource(self, pool_id: str, keys: Sequence[str]) -> None:
        pool = await self.require(pool_id)
        remaining = {k: v for k, v in pool.tags.items() if k not in set(keys)}
        await self._store.save_pool(dataclasses.replace(pool, tags=remaining))

    async def list_tags_for_resource(self, pool_id: str) -> Mapping[str, str]:
        return (await self.require(pool_id)).tags
