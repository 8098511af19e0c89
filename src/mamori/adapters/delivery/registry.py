"""The sender registry: message senders by id, built-in or from the `mamori.senders` entry points.

A provider is a class with an `id`, the `channels` it can carry (EMAIL, SMS) and a
`from_config(context)` classmethod that returns a MessageSender, checking its settings at
start-up: unknown ids and bad settings fail there, never on the first message.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, ClassVar, Protocol

from mamori.adapters.http import OutboundHttp
from mamori.services.ports import Message
from mamori.services.users.ports import MessageSender

ENTRY_POINT_GROUP = "mamori.senders"
CHANNELS = ("EMAIL", "SMS")

# Loaded on demand: a server that never sends through SES need not import it.
_BUILTIN = {
    "outbox": "mamori.adapters.delivery.registry:OutboxProvider",
    "smtp": "mamori.adapters.delivery.smtp:SmtpSender",
    "ses": "mamori.adapters.delivery.ses:SesSender",
    "sns": "mamori.adapters.delivery.sns:SnsSender",
    "webhook": "mamori.adapters.delivery.webhook:WebhookSender",
}


class SenderConfigError(ValueError):
    """A sender id is unknown, cannot carry the channel, or its settings are wrong."""


@dataclass(frozen=True)
class SenderContext:
    """What `from_config` is given: the channel, mamori's settings by name, the outbox, and
    the outbound HTTP clients (shared, closed at shutdown: senders build none of their own)."""

    channel: str  # EMAIL | SMS
    settings: Mapping[str, Any] = field(repr=False)
    outbox: MessageSender
    http: OutboundHttp

    def _get(self, name: str) -> Any:
        try:
            return self.settings[name]
        except KeyError:
            raise SenderConfigError(f"there is no setting {name!r}") from None

    def text(self, name: str) -> str:
        value = self._get(name)
        return value if isinstance(value, str) else str(value)

    def integer(self, name: str) -> int:
        value = self._get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SenderConfigError(f"setting {name} must be an integer")
        return value

    def flag(self, name: str) -> bool:
        return bool(self._get(name))

    def required(self, name: str, why: str) -> str:
        value = self.text(name).strip()
        if not value:
            raise SenderConfigError(f"{name} must be set {why}")
        return value


class SenderProvider(Protocol):
    id: ClassVar[str]
    channels: ClassVar[frozenset[str]]

    @classmethod
    def from_config(cls, context: SenderContext) -> MessageSender: ...


class OutboxProvider:
    """The database outbox (the default): every message kept for `mamori outbox` and tests."""

    id: ClassVar[str] = "outbox"
    channels: ClassVar[frozenset[str]] = frozenset(CHANNELS)

    @classmethod
    def from_config(cls, context: SenderContext) -> MessageSender:
        return context.outbox


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _plugins() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def known_ids() -> list[str]:
    return sorted({*_BUILTIN, *_plugins()})


def find_provider(sender_id: str) -> SenderProvider:
    """The provider registered under `sender_id`; built-in ids cannot be taken by a plugin."""
    if sender_id in _BUILTIN:
        provider = _load(_BUILTIN[sender_id])
    else:
        plugin = _plugins().get(sender_id)
        if plugin is None:
            raise SenderConfigError(
                f"unknown sender {sender_id!r} (known: {', '.join(known_ids())}; third-party "
                f"senders register under the {ENTRY_POINT_GROUP!r} entry point group)"
            )
        try:
            provider = plugin.load()
        except Exception as exc:  # a broken plugin: say which and why, at start-up
            raise SenderConfigError(
                f"sender {sender_id!r} ({plugin.value}) cannot be loaded: {exc}"
            ) from exc
    if not callable(getattr(provider, "from_config", None)):
        raise SenderConfigError(f"sender {sender_id!r} has no from_config()")
    return provider  # type: ignore[no-any-return]


def build_sender(sender_id: str, context: SenderContext) -> MessageSender:
    """The sender for `context.channel`; SenderConfigError when it cannot be built."""
    provider = find_provider(sender_id)
    channels = frozenset(getattr(provider, "channels", CHANNELS))
    if context.channel not in channels:
        only = ", ".join(sorted(channels))
        raise SenderConfigError(f"sender {sender_id!r} cannot send {context.channel} (only {only})")
    try:
        sender = provider.from_config(context)
    except SenderConfigError:
        raise
    except Exception as exc:  # a third-party provider's own check: still a start-up error
        raise SenderConfigError(f"sender {sender_id!r}: {exc}") from exc
    if not inspect.iscoroutinefunction(getattr(sender, "send", None)):
        raise SenderConfigError(f"sender {sender_id!r} has no `async def send(message)`")
    return sender


__all__ = [
    "CHANNELS",
    "ENTRY_POINT_GROUP",
    "Message",
    "MessageSender",
    "OutboxProvider",
    "SenderConfigError",
    "SenderContext",
    "SenderProvider",
    "build_sender",
    "find_provider",
    "known_ids",
]
