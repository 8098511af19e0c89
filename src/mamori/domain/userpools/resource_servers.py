"""Resource servers: the APIs a pool issues custom scopes for (`<identifier>/<scope name>`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from mamori.domain.errors import InvalidParameterException
from mamori.domain.ids import PoolId

# Cognito's quotas: 25 resource servers per pool, 100 scopes per server (the model's max).
MAX_SERVERS_PER_POOL: Final = 25
MAX_SCOPES_PER_SERVER: Final = 100
# The scopes Cognito defines itself; every other scope names a resource server.
STANDARD_SCOPES: Final = frozenset(
    {"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"}
)


@dataclass(frozen=True)
class ResourceScope:
    name: str
    description: str


@dataclass(frozen=True)
class ResourceServer:
    pool_id: PoolId
    identifier: str
    name: str
    scopes: tuple[ResourceScope, ...] = ()

    def scope_values(self) -> frozenset[str]:
        """The scopes as a token or a client names them: `<identifier>/<scope name>`."""
        return frozenset(f"{self.identifier}/{s.name}" for s in self.scopes)


def check_scopes(scopes: Iterable[ResourceScope]) -> None:
    seen: set[str] = set()
    for scope in scopes:
        if scope.name in seen:
            raise InvalidParameterException(f"Duplicate scope names are not allowed: {scope.name}")
        seen.add(scope.name)


def unknown_scopes(requested: Iterable[str], custom: frozenset[str]) -> list[str]:
    """The requested scopes that are neither standard nor one of the pool's custom scopes."""
    return [s for s in requested if s not in STANDARD_SCOPES and s not in custom]
