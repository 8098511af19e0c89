"""User pool lifecycle: create, describe, update, delete, list, custom attributes and tags."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from mamori.domain.errors import (
    InvalidParameterException,
    ResourceNotFoundException,
)
from mamori.domain.ids import PoolId, new_pool_id
from mamori.domain.userpools.schema import (
    STANDARD_NAMES,
    STANDARD_SCHEMA,
    AttributeRequest,
    AttributeType,
    SchemaAttribute,
)
from mamori.domain.userpools.user_pool import UserPool
from mamori.services.ports import Clock, Page
from mamori.services.tokens.keys import KeyService
from mamori.services.userpools.ports import PoolStore

MAX_CUSTOM_ATTRIBUTES = 50
MAX_TAGS = 50
# Settings UpdateUserPool cannot change: the request has no member for them.
_IMMUTABLE_ON_UPDATE = (
    "schema",
    "username_attributes",
    "alias_attributes",
    "case_sensitive",
    "mfa",  # the factors SetUserPoolMfaConfig turns on
)


# Cognito's limit on a string attribute's length, and the wording of its schema refusals.
MAX_STRING_LENGTH = 2048
_BAD_DATA_TYPE = (
    "Invalid AttributeDataType input, consider using the provided AttributeDataType enum."
)


def _standard_override(current: SchemaAttribute, attr: AttributeRequest) -> SchemaAttribute:
    # Cognito: a standard attribute keeps its type and is never developer-only; the request
    # may make it required or immutable and narrow its constraints.
    if (attr.type is not None and attr.type is not current.type) or attr.developer_only:
        raise InvalidParameterException(
            "You can not change AttributeDataType or set developerOnlyAttribute for standard "
            f"schema attribute {current.name}"
        )
    merged = dataclasses.replace(
        current,
        mutable=current.mutable if attr.mutable is None else attr.mutable,
        required=current.required if attr.required is None else attr.required,
    )
    if current.type is AttributeType.STRING:
        merged = dataclasses.replace(
            merged,
            min_length=current.min_length if attr.min_length is None else attr.min_length,
            max_length=current.max_length if attr.max_length is None else attr.max_length,
        )
    if current.type is AttributeType.NUMBER:
        merged = dataclasses.replace(
            merged,
            min_value=current.min_value if attr.min_value is None else attr.min_value,
            max_value=current.max_value if attr.max_value is None else attr.max_value,
        )
    return merged


def _custom(attr: AttributeRequest) -> SchemaAttribute:
    if attr.type is None:
        raise InvalidParameterException(_BAD_DATA_TYPE)
    if attr.required:
        # Cognito's own wording.
        raise InvalidParameterException("Required custom attributes are not supported currently.")
    # Cognito: the name is always prefixed, "dev:custom:" for developer-only attributes.
    prefix = "dev:custom:" if attr.developer_only else "custom:"
    string = attr.type is AttributeType.STRING
    number = attr.type is AttributeType.NUMBER
    return SchemaAttribute(
        name=prefix + attr.name,
        type=attr.type,
        developer_only=attr.developer_only,
        mutable=True if attr.mutable is None else attr.mutable,
        required=False,
        min_length=attr.min_length if string else None,
        max_length=attr.max_length if string else None,
        min_value=attr.min_value if number else None,
        max_value=attr.max_value if number else None,
    )


def _check_constraints(attr: SchemaAttribute) -> None:
    """Cognito's checks of a merged attribute's constraints, in Cognito's words."""
    lengths = (attr.min_length, attr.max_length)
    if any(v is not None and v < 0 for v in lengths):
        raise InvalidParameterException(
            f"Invalid StringAttributeConstraints for schema attribute {attr.name}"
        )
    if any(v is not None and v > MAX_STRING_LENGTH for v in lengths):
        raise InvalidParameterException(
            f"user.{attr.name}: String attributes cannot have a length of more than "
            f"{MAX_STRING_LENGTH}"
        )
    low, high = attr.min_length, attr.max_length
    if low is not None and high is not None and low > high:
        raise InvalidParameterException(
            f"user.{attr.name}: Max length cannot be less than min length."
        )
    low, high = attr.min_value, attr.max_value
    if low is not None and high is not None and low > high:
        raise InvalidParameterException(
            f"user.{attr.name}: Max value cannot be less than min value."
        )


def _existing(name: str, by_name: Mapping[str, SchemaAttribute]) -> str | None:
    """The attribute already holding custom attribute `name`'s place, developer-only or not."""
    base = name.removeprefix("dev:")
    return next((n for n in (base, f"dev:{base}") if n in by_name), None)


def merge_schema(
    requested: Sequence[AttributeRequest],
    base: Sequence[SchemaAttribute] = STANDARD_SCHEMA,
    *,
    all_custom: bool = False,
) -> tuple[SchemaAttribute, ...]:
    """`base` with the request's standard-attribute overrides, then its custom attributes.

    With `all_custom` (AddCustomAttributes) every name is a custom attribute, even "email".
    """
    by_name = {a.name: a for a in base}
    seen: set[str] = set()
    for attr in requested:
        if attr.name in STANDARD_NAMES and not all_custom:
            if attr.name in seen:
                raise InvalidParameterException(f"Duplicate attribute name {attr.name}.")
            seen.add(attr.name)
            merged = _standard_override(by_name[attr.name], attr)
            if attr.name == "sub":
                continue  # Cognito: sub is fixed; a schema entry for it changes nothing
        else:
            merged = _custom(attr)
            existing = _existing(merged.name, by_name)
            if existing is not None:
                # Cognito's wording: "custom:x: Existing attribute already has name dev:custom:x."
                raise InvalidParameterException(
                    f"custom:{attr.name}: Existing attribute already has name {existing}."
                )
        _check_constraints(merged)
        by_name[merged.name] = merged
    if sum(1 for a in by_name.values() if a.is_custom) > MAX_CUSTOM_ATTRIBUTES:
        raise InvalidParameterException(
            f"A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes."
        )
    return tuple(by_name.values())


def check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise InvalidParameterException(f"A resource can have at most {MAX_TAGS} tags.")
    for key in tags:
        if key.lower().startswith("aws:"):
            raise InvalidParameterException(
                f"Tag key {key} is invalid: the aws: prefix is reserved for AWS use."
            )


def check_pool(pool: UserPool) -> None:
    """Rules across settings that the service model cannot express."""
    if pool.username_attributes and pool.alias_attributes:
        raise InvalidParameterException(
            "Only one of aliasAttributes or usernameAttributes can be set in a user pool."
        )
    for attr in pool.auto_verified_attributes:
        if attr not in {"email", "phone_number"}:
            raise InvalidParameterException(
                f"AutoVerifiedAttributes can only contain email and phone_number, not {attr}."
            )
    for attr in pool.attributes_require_verification_before_update:
        if attr not in pool.auto_verified_attributes:
            raise InvalidParameterException(
                "AttributesRequireVerificationBeforeUpdate may only contain attributes that are "
                f"also in AutoVerifiedAttributes; {attr} is not."
            )
    if not 6 <= pool.password_policy.minimum_length <= 99:
        raise InvalidParameterException("PasswordPolicy.MinimumLength must be between 6 and 99.")
    names = [r.name for r in pool.account_recovery]
    priorities = [r.priority for r in pool.account_recovery]
    if len(set(names)) != len(names) or len(set(priorities)) != len(priorities):
        raise InvalidParameterException(
            "AccountRecoverySetting cannot repeat a recovery mechanism or a priority."
        )
    if "admin_only" in names and len(names) > 1:
        raise InvalidParameterException(
            "The admin_only recovery mechanism cannot be combined with other mechanisms."
        )
    check_tags(pool.tags)


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

    async def create_user_pool(
        self, draft: UserPool, schema: Sequence[AttributeRequest] = ()
    ) -> UserPool:
        """A new pool with `draft`'s settings and the standard schema merged with `schema`."""
        now = self._clock.now()
        pool = dataclasses.replace(
            draft,
            id=new_pool_id(self.region),
            created=now,
            modified=now,
            schema=merge_schema(schema),
        )
        check_pool(pool)
        # Keys first: a pool row never exists without a key to sign its tokens.
        await self._keys.create_for_pool(pool.id)
        await self._store.add_pool(pool)
        return pool

    async def describe_user_pool(self, pool_id: str) -> tuple[UserPool, int]:
        pool = await self.require(pool_id)
        return pool, await self._store.count_users(pool.id)

    async def update_user_pool(
        self,
        pool_id: str,
        draft: UserPool,
        *,
        name: str | None,
        tags: Mapping[str, str] | None,
    ) -> UserPool:
        """Replace the pool's settings with `draft`'s, as Cognito does.

        Cognito: every setting the request leaves out returns to its default; settings fixed at
        creation stay. The name and tags change only when given.
        """
        current = await self.require(pool_id)
        keep = {field: getattr(current, field) for field in _IMMUTABLE_ON_UPDATE}
        updated = dataclasses.replace(
            draft,
            id=current.id,
            name=current.name if name is None else name,
            tags=current.tags if tags is None else dict(tags),
            created=current.created,
            modified=self._clock.now(),
            **keep,
        )
        check_pool(updated)
        await self._store.save_pool(updated)
        return updated

    async def delete_user_pool(self, pool_id: str) -> None:
        pool = await self.require(pool_id)
        if pool.deletion_protection:
            raise InvalidParameterException(
                "The user pool cannot be deleted because deletion protection is activated. "
                "Deletion protection must be inactivated first."
            )
        await self._store.delete_pool(pool.id)
        self._keys.forget(pool.id)

    async def list_user_pools(self, limit: int, token: str | None) -> Page[UserPool]:
        return await self._store.list_pools(limit, token)

    async def add_custom_attributes(
        self, pool_id: str, attributes: Sequence[AttributeRequest]
    ) -> None:
        pool = await self.require(pool_id)
        schema = merge_schema(attributes, pool.schema, all_custom=True)
        await self._store.save_pool(
            dataclasses.replace(pool, schema=schema, modified=self._clock.now())
        )

    # --- tags (on user pools, addressed by ARN)
    async def tag_resource(self, pool_id: str, tags: Mapping[str, str]) -> None:
        pool = await self.require(pool_id)
        merged = {**pool.tags, **tags}
        check_tags(merged)
        await self._store.save_pool(dataclasses.replace(pool, tags=merged))

    async def untag_resource(self, pool_id: str, keys: Sequence[str]) -> None:
        pool = await self.require(pool_id)
        drop = set(keys)
        remaining = {k: v for k, v in pool.tags.items() if k not in drop}
        await self._store.save_pool(dataclasses.replace(pool, tags=remaining))

    async def list_tags_for_resource(self, pool_id: str) -> Mapping[str, str]:
        return (await self.require(pool_id)).tags
