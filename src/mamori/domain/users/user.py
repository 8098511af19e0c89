"""Users of a pool: status, attributes and the state their sign-in depends on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from mamori.domain.ids import PoolId, UserSub
from mamori.domain.userpools.schema import Attributes


class UserStatus(StrEnum):
    UNCONFIRMED = "UNCONFIRMED"
    CONFIRMED = "CONFIRMED"
    EXTERNAL_PROVIDER = "EXTERNAL_PROVIDER"
    RESET_REQUIRED = "RESET_REQUIRED"
    FORCE_CHANGE_PASSWORD = "FORCE_CHANGE_PASSWORD"


@dataclass(frozen=True)
class User:
    pool_id: PoolId
    sub: UserSub
    username: str
    status: UserStatus
    enabled: bool
    attributes: Attributes
    created: datetime
    modified: datetime
    password_hash: str | None = field(default=None, repr=False)
    # Tokens issued before this instant (epoch seconds) are refused: GlobalSignOut.
    tokens_valid_after: float = 0.0
    # A temporary password (AdminCreateUser) stops working after this instant.
    password_expires: datetime | None = None
    # New email / phone_number values held back until verified (the pool's
    # AttributesRequireVerificationBeforeUpdate); `attributes` keeps the values in effect.
    pending: Attributes = field(default_factory=dict)
    # The SRP verifier of the current password (USER_SRP_AUTH), AEAD-sealed to this user by
    # services/users/srp_verifiers.py: opaque here and in the store. None for users whose password
    # was set before verifiers were kept (they sign in with SRP once their password is used).
    srp_verifier: str | None = field(default=None, repr=False)

    def verified(self, attribute: str) -> bool:
        flag = {"email": "email_verified", "phone_number": "phone_number_verified"}.get(attribute)
        return flag is not None and self.attributes.get(flag) == "true"
