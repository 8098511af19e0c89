"""Remembered devices: device keys and a user's device records (the pool's DeviceConfiguration
is `domain/userpools/settings.py`)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from mamori.domain.ids import PoolId, UserSub, region_of

_GROUP_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class DeviceStatus(StrEnum):
    """DeviceRememberedStatus."""

    REMEMBERED = "remembered"
    NOT_REMEMBERED = "not_remembered"


def new_device_key(pool_id: str) -> str:
    # Cognito: "<region>_<uuid>", matching the model's DeviceKeyType [\w-]+_[0-9a-f-]+.
    return f"{region_of(pool_id)}_{uuid.uuid4()}"


def new_device_group_key() -> str:
    # Cognito: a dash and nine alphanumerics; the clients hash it as the device's SRP realm.
    return "-" + "".join(secrets.choice(_GROUP_ALPHABET) for _ in range(9))


@dataclass(frozen=True)
class Device:
    """One device of one user. Created unconfirmed when sign-in hands out NewDeviceMetadata;
    ConfirmDevice stores its SRP verifier (sealed at rest) and gives it a remembered status."""

    pool_id: PoolId
    sub: UserSub
    key: str
    group_key: str
    created: datetime
    modified: datetime
    confirmed: bool = False
    status: DeviceStatus = DeviceStatus.NOT_REMEMBERED
    name: str | None = None
    # The SRP verifier record (crypto.srp.Verifier.to_bytes) of DeviceSecretVerifierConfig.
    verifier: bytes | None = field(default=None, repr=False)
    last_ip: str | None = None
    last_authenticated: datetime | None = None

    @property
    def remembered(self) -> bool:
        return self.confirmed and self.status is DeviceStatus.REMEMBERED
