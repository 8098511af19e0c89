"""Groups of users: precedence and the IAM role they map to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mamori.domain.ids import PoolId


@dataclass(frozen=True)
class Group:
    pool_id: PoolId
    name: str
    created: datetime
    modified: datetime
    description: str | None = None
    role_arn: str | None = None
    precedence: int | None = None
