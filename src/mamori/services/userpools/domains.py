"""User pool domains: the four operations, and which pool a hosted-domain Host belongs to."""

from __future__ import annotations

import dataclasses

from mamori.domain.errors import InvalidParameterException
from mamori.domain.ids import PoolId
from mamori.domain.userpools.domains import (
    DomainKind,
    UserPoolDomain,
    check_domain_name,
    host_without_port,
)
from mamori.services.ports import Clock
from mamori.services.userpools.pools import PoolService
from mamori.services.userpools.ports import DomainStore

_MANAGED_LOGIN_VERSIONS = (1, 2)


@dataclasses.dataclass(frozen=True)
class CustomDomainConfig:
    certificate_arn: str
    security_policy: str | None = None


def _check_version(version: int | None) -> None:
    if version is not None and version not in _MANAGED_LOGIN_VERSIONS:
        raise InvalidParameterException(
            f"ManagedLoginVersion {version} is not valid: use 1 (hosted UI classic) or 2 "
            "(managed login)."
        )


class DomainService:
    def __init__(
        self, store: DomainStore, pools: PoolService, clock: Clock, auth_domain: str
    ) -> None:
        self._store = store
        self._pools = pools
        self._clock = clock
        self._auth_domain = auth_domain.lower()

    @property
    def auth_domain(self) -> str:
        """The host prefix domains hang off (setting `auth_domain`)."""
        return self._auth_domain

    def cloudfront_domain(self, domain: UserPoolDomain) -> str | None:
        """What Cognito calls the CloudFront distribution a custom domain's DNS record points
        at: here the auth domain, which the deployment routes to mamori (docs/oauth.md)."""
        return self._auth_domain if domain.kind is DomainKind.CUSTOM else None

    async def create_user_pool_domain(
        self,
        pool_id: str,
        name: str,
        custom: CustomDomainConfig | None,
        managed_login_version: int | None,
    ) -> UserPoolDomain:
        pool = await self._pools.require(pool_id)
        kind = DomainKind.CUSTOM if custom is not None else DomainKind.PREFIX
        name = name.lower()
        check_domain_name(name, kind, self._auth_domain)
        _check_version(managed_login_version)
        if any(d.kind is kind for d in await self._store.domains_of(pool.id)):
            raise InvalidParameterException("User pool already has a domain configured.")
        now = self._clock.now()
        domain = UserPoolDomain(
            domain=name,
            pool_id=pool.id,
            kind=kind,
            created=now,
            modified=now,
            certificate_arn=custom.certificate_arn if custom else None,
            security_policy=custom.security_policy if custom else None,
            managed_login_version=managed_login_version or 1,
        )
        if not await self._store.add_domain(domain):
            # Cognito's words for a name any pool (this one included) holds already.
            raise InvalidParameterException("Domain already associated with another user pool.")
        return domain

    async def describe_user_pool_domain(self, name: str) -> UserPoolDomain | None:
        """The domain of that name, or None (Cognito answers an empty DomainDescription)."""
        return await self._store.get_domain(name.lower())

    async def _owned(self, pool_id: str, name: str) -> UserPoolDomain:
        pool = await self._pools.require(pool_id)
        domain = await self._store.get_domain(name.lower())
        if domain is None or domain.pool_id != pool.id:
            raise InvalidParameterException("No such domain or user pool exists.")
        return domain

    async def update_user_pool_domain(
        self,
        pool_id: str,
        name: str,
        custom: CustomDomainConfig | None,
        managed_login_version: int | None,
    ) -> UserPoolDomain:
        """A new certificate for a custom domain, or another managed-login version; what the
        request leaves out stays as it was."""
        current = await self._owned(pool_id, name)
        _check_version(managed_login_version)
        if custom is not None and current.kind is not DomainKind.CUSTOM:
            raise InvalidParameterException(
                "CustomDomainConfig can only be updated for a custom domain."
            )
        domain = dataclasses.replace(
            current,
            modified=self._clock.now(),
            certificate_arn=custom.certificate_arn if custom else current.certificate_arn,
            security_policy=(
                custom.security_policy or current.security_policy
                if custom
                else current.security_policy
            ),
            managed_login_version=managed_login_version or current.managed_login_version,
        )
        await self._store.save_domain(domain)
        return domain

    async def delete_user_pool_domain(self, pool_id: str, name: str) -> None:
        domain = await self._owned(pool_id, name)
        await self._store.delete_domain(domain.pool_id, domain.domain)

    async def pool_for_host(self, host: str) -> str | None:
        """The pool whose domain a Host header names (`<prefix>.<auth_domain>` or a custom
        domain, any port, any case), or None."""
        name = host_without_port(host)
        suffix = "." + self._auth_domain
        if name.endswith(suffix):
            prefix = name.removesuffix(suffix)
            if not prefix or "." in prefix:
                return None
            domain = await self._store.get_domain(prefix)
            return domain.pool_id if domain and domain.kind is DomainKind.PREFIX else None
        if "." not in name:
            return None
        domain = await self._store.get_domain(name)
        return domain.pool_id if domain and domain.kind is DomainKind.CUSTOM else None

    async def domains_of_pool(self, pool_id: str) -> list[UserPoolDomain]:
        """The pool's domains (DescribeUserPool's Domain and CustomDomain)."""
        return await self._store.domains_of(PoolId(pool_id))

    async def domain_of_pool(self, pool_id: str) -> str | None:
        """The host of the pool's domain (its custom domain when it has both), or None."""
        domains = await self._store.domains_of(PoolId(pool_id))
        chosen = sorted(domains, key=lambda d: d.kind is not DomainKind.CUSTOM)
        return chosen[0].host(self._auth_domain) if chosen else None
