"""Identifier types and their formats (pool ids, client ids, subs)."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import NewType

PoolId = NewType("PoolId", str)
ClientId = NewType("ClientId", str)
UserSub = NewType("UserSub", str)
GroupName = NewType("GroupName", str)

# A pool id in a URL path (a pool's endpoints by path, forward auth): "<region>_<suffix>".
POOL_ID_IN_PATH = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+_[0-9A-Za-z]+")

_POOL_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_CLIENT_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _random(length: int, alphabet: str) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_pool_id(region: str) -> PoolId:
    # Cognito: "<region>_<9 alphanumerics>", matching the model's [\w-]+_[0-9a-zA-Z]+.
    return PoolId(f"{region}_{_random(9, _POOL_SUFFIX_ALPHABET)}")


def new_client_id() -> ClientId:
    # Cognito: 26 lower-case alphanumerics.
    return ClientId(_random(26, _CLIENT_ID_ALPHABET))


def new_sub() -> UserSub:
    return UserSub(str(uuid.uuid4()))


def region_of(pool_id: str) -> str:
    return pool_id.split("_", 1)[0]
