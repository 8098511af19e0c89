"""Builds the message senders the settings name (`email_sender`, `sms_sender`) from the
delivery registry (adapters/delivery/registry.py), and the custom sender triggers' code
encryption, for wiring.py."""

from __future__ import annotations

import base64
import binascii
import dataclasses
from types import MappingProxyType

from mamori.adapters.delivery.registry import SenderConfigError, SenderContext, build_sender
from mamori.adapters.delivery.sender_codes import KmsCodeEncryption, LocalKeyCodeEncryption
from mamori.adapters.http import OutboundHttp
from mamori.config import ConfigError, Settings
from mamori.services.users.ports import CodeEncryption, MessageSender


def build_message_sender(
    settings: Settings,
    setting: str,
    channel: str,
    outbox: MessageSender,
    http: OutboundHttp | None = None,
) -> MessageSender:
    """The sender named by `setting`, from the registry; ConfigError if it cannot be built.
    `http`: the outbound clients senders use (a new, unused set when none is given)."""
    values = MappingProxyType(
        {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    )
    sender_id = getattr(settings, setting)
    try:
        return build_sender(
            sender_id, SenderContext(channel, values, outbox, http or OutboundHttp())
        )
    except SenderConfigError as exc:
        raise ConfigError(f"{setting} {sender_id!r}: {exc}") from exc


def build_code_encryption(settings: Settings) -> CodeEncryption:
    """How custom sender triggers' codes are encrypted: under `custom_sender_key` when set,
    else through KMS under each pool's KMSKeyID. ConfigError for a key that is not base64 of
    32 bytes."""
    if settings.custom_sender_key:
        try:
            key = base64.b64decode(settings.custom_sender_key, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ConfigError("custom_sender_key must be base64 (32 bytes)") from exc
        if len(key) != 32:
            raise ConfigError(f"custom_sender_key must be 32 bytes, got {len(key)}")
        return LocalKeyCodeEncryption(key)
    return KmsCodeEncryption(
        settings.kms_region or settings.region,
        settings.kms_endpoint or None,
        settings.kms_access_key_id or None,
        settings.kms_secret_access_key or None,
    )
