"""App clients of a pool: lifecycle, secrets and SECRET_HASH checks."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac

from mamori.crypto.secrets import random_id
from mamori.domain.app_client import AppClient
from mamori.domain.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
)
from mamori.domain.ids import ClientId, PoolId, new_client_id
from mamori.domain.user_pool import UserPool
from mamori.ports import ClientStore, Clock, Page
from mamori.services.pools import PoolService

_SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_FLOWS = {
    "ADMIN_NO_SRP_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY",
    "USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
}
# Cognito's limits per unit: access/id 5 minutes..1 day, refresh 60 minutes..10 years.
_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def secret_hash(username: str, client_id: str, secret: str) -> str:
    """Base64(HMAC-SHA256(secret, username + client_id)), as Cognito defines SECRET_HASH."""
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _check(client: AppClient) -> None:
    flows = set(client.explicit_auth_flows)
    unknown = flows - _FLOWS
    if unknown:
        raise InvalidParameterException(f"Unknown ExplicitAuthFlows value {sorted(unknown)[0]}.")
    legacy = {f for f in flows if not f.startswith("ALLOW_")}
    if legacy and legacy != flows:
        raise InvalidParameterException(
            "ExplicitAuthFlows cannot mix legacy values with ALLOW_ values."
        )
    tv = client.token_validity
    for label, amount, unit, low, high in (
        ("AccessTokenValidity", tv.access, tv.access_unit, 300, 86400),
        ("IdTokenValidity", tv.id, tv.id_unit, 300, 86400),
        ("RefreshTokenValidity", tv.refresh, tv.refresh_unit, 3600, 315360000),
    ):
        seconds = amount * _SECONDS[unit]
        if not low <= seconds <= high:
            raise InvalidParameterException(
                f"{label} of {amount} {unit} is outside the allowed range "
                f"({low} seconds to {high} seconds)."
            )
    if not 3 <= client.auth_session_validity_minutes <= 15:
        raise InvalidParameterException("AuthSessionValidity must be between 3 and 15 minutes.")


class ClientService:
    def __init__(self, store: ClientStore, pools: PoolService, clock: Clock) -> None:
        self._store = store
        self._pools = pools
        self._clock = clock

    async def create_user_pool_client(
        self, pool_id: str, draft: AppClient, generate_secret: bool
    ) -> AppClient:
        pool = await self._pools.require(pool_id)
        now = self._clock.now()
        client = dataclasses.replace(
            draft,
            id=new_client_id(),
            pool_id=pool.id,
            created=now,
            modified=now,
            secret=random_id(51, _SECRET_ALPHABET) if generate_secret else None,
        )
        _check_attributes(pool, client)
        _check(client)
        await self._store.add_client(client)
        return client

    async def describe_user_pool_client(self, pool_id: str, client_id: str) -> AppClient:
        await self._pools.require(pool_id)
        client = await self._store.get_client(PoolId(pool_id), ClientId(client_id))
        if client is None:
            raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
        return client

    async def update_user_pool_client(self, pool_id: str, draft: AppClient) -> AppClient:
        current = await self.describe_user_pool_client(pool_id, draft.id)
        pool = await self._pools.require(pool_id)
        client = dataclasses.replace(
            draft,
            pool_id=current.pool_id,
            created=current.created,
            modified=self._clock.now(),
            secret=current.secret,
        )
        _check_attributes(pool, client)
        _check(client)
        await self._store.save_client(client)
        return client

    async def delete_user_pool_client(self, pool_id: str, client_id: str) -> None:
        client = await self.describe_user_pool_client(pool_id, client_id)
        await self._store.delete_client(client.pool_id, client.id)

    async def list_user_pool_clients(
        self, pool_id: str, limit: int, token: str | None
    ) -> Page[AppClient]:
        pool = await self._pools.require(pool_id)
        return await self._store.list_clients(pool.id, limit, token)

    async def client_for_public_call(self, client_id: str) -> tuple[UserPool, AppClient]:
        """The client named by a public call, and its pool; ResourceNotFound when unknown."""
        client = await self._store.find_client(ClientId(client_id))
        if client is None:
            raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
        pool = await self._pools.require(client.pool_id)
        return pool, client

    async def client_in_pool(self, pool_id: str, client_id: str) -> tuple[UserPool, AppClient]:
        pool = await self._pools.require(pool_id)
        client = await self._store.get_client(pool.id, ClientId(client_id))
        if client is None:
            raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
        return pool, client


def check_secret_hash(client: AppClient, username: str, given: str | None) -> None:
    """Clients with a secret must prove it; clients without one must not send a hash."""
    if client.secret is None:
        return
    if not given:
        raise NotAuthorizedException(
            f"Client {client.id} is configured with secret but SECRET_HASH was not received"
        )
    expected = secret_hash(username, client.id, client.secret)
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise NotAuthorizedException(f"Unable to verify secret hash for client {client.id}")


def check_client_secret(client: AppClient, given: str | None) -> None:
    if client.secret is None:
        return
    if not given or not hmac.compare_digest(client.secret.encode(), given.encode()):
        raise NotAuthorizedException(f"Unable to verify secret for client {client.id}")


def _check_attributes(pool: UserPool, client: AppClient) -> None:
    for name in (*client.read_attributes, *client.write_attributes):
        if pool.attribute(name) is None:
            raise InvalidParameterException(f"Invalid read or write attribute: {name}")
    for name in client.write_attributes:
        attr = pool.attribute(name)
        if attr is not None and not attr.mutable:
            raise InvalidParameterException(f"Invalid write attribute: {name} is immutable")
        if name in {"email_verified", "phone_number_verified"}:
            raise InvalidParameterException(f"Invalid write attribute: {name}")
