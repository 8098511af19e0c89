"""Builds the message senders the settings name (`email_sender`, `sms_sender`) from the
delivery registry (adapters/delivery/registry.py), for wiring.py."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from mamori.adapters.delivery.registry import SenderConfigError, SenderContext, build_sender
from mamori.adapters.http import OutboundHttp
from mamori.config import ConfigError, Settings
from mamori.services.users.ports import MessageSender


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
