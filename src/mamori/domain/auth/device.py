"""Remembered devices: the pool's DeviceConfiguration, device keys and a user's device records."""

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


@dataclass(frozen=True)
class DeviceConfiguration:
    """The pool's DeviceConfiguration. Device tracking is on when the pool has one at all.

    Cognito: "When you provide a value for any DeviceConfiguration field, you activate the
    Amazon Cognito device-remembering feature"; a pool without one tracks no devices. Each
    member is kept as given (None: left out, which is off), so DescribeUserPool echoes it.
    """

    # ChallengeRequiredOnNewDevice
    on_new_device: bool | None = None
    # DeviceOnlyRememberedOnUserPrompt
    on_user_prompt: bool | None = None

    @property
    def challenge_required_on_new_device(self) -> bool:
        """A remembered device may sign in with DEVICE_SRP_AUTH instead of an MFA code."""
        return self.on_new_device is True

    @property
    def device_only_remembered_on_user_prompt(self) -> bool:
        """ConfirmDevice leaves the device not_remembered until UpdateDeviceStatus remembers it."""
        return self.on_user_prompt is True


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
