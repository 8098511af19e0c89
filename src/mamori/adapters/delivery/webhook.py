"""Messages as signed HTTP POSTs to a webhook, signed as Standard Webhooks 1.0 specifies.

Headers: `webhook-id` (unique per delivery), `webhook-timestamp` (Unix seconds) and
`webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<raw body>")>`. Receivers
reject old timestamps and ids they have seen, so a captured request cannot be replayed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import ssl
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

from mamori.adapters.delivery.registry import CHANNELS, SenderConfigError, SenderContext
from mamori.domain.errors import CodeDeliveryFailureException
from mamori.domain.users.user_rules import mask
from mamori.services.ports import Message

log = logging.getLogger("mamori.delivery")

SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES = 16


def signing_key(secret: str) -> bytes:
    """`whsec_<base64>` is decoded (Standard Webhooks); any other secret is used as UTF-8."""
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise SenderConfigError("webhook_secret: whsec_ must be followed by base64") from None
    else:
        key = secret.encode()
    if len(key) < MIN_KEY_BYTES:
        raise SenderConfigError(f"webhook_secret must be at least {MIN_KEY_BYTES} bytes")
    return key


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def payload(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": f"message.{message.channel.lower()}",
        "channel": message.channel,
        "to": message.destination,
        "body": message.body,
        "kind": message.kind,
        "pool_id": message.pool_id,
        "created": message.created.isoformat(),
    }
    if message.channel == "EMAIL":
        out["subject"] = message.subject
        # Only when the message has them (account-takeover notices): the receiver sends as it may.
        for name, value in (
            ("html", message.html),
            ("from", message.sender),
            ("reply_to", message.reply_to),
        ):
            if value:
                out[name] = value
    if message.code is not None:
        # For providers that fill the code into their own template (WhatsApp, voice).
        out["code"] = message.code
    return out


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    key: bytes = field(repr=False)
    timeout_seconds: float = 10.0
    ca_file: str = ""  # trusted in addition to the system's certificate authorities


class WebhookSender:
    id: ClassVar[str] = "webhook"
    channels: ClassVar[frozenset[str]] = frozenset(CHANNELS)

    def __init__(self, config: WebhookConfig, http: httpx.AsyncClient) -> None:
        """`http`: an outbound client trusting `config.ca_file` (adapters/http.py)."""
        self._config = config
        self._http = http

    @classmethod
    def from_config(cls, context: SenderContext) -> WebhookSender:
        why = f"to send {context.channel} by webhook"
        url = context.required("webhook_url", why)
        if not url.startswith(("http://", "https://")):
            raise SenderConfigError("webhook_url must be an http(s) URL")
        key = signing_key(context.required("webhook_secret", why))
        ca_file = context.text("webhook_ca_file")
        config = WebhookConfig(
            url, key, float(context.integer("delivery_timeout_seconds")), ca_file
        )
        try:
            return cls(config, context.http.client(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise SenderConfigError(f"webhook_ca_file: cannot load {ca_file}: {exc}") from exc

    def request(self, message: Message) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload(message), separators=(",", ":")).encode()
        message_id = "msg_" + secrets.token_urlsafe(18)
        timestamp = int(message.created.timestamp())
        headers = {
            "content-type": "application/json",
            "user-agent": "mamori-webhook/1",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._config.key, message_id, timestamp, body),
        }
        return body, headers

    async def send(self, message: Message) -> None:
        body, headers = self.request(message)
        to = mask(message.destination)
        what = "SMS" if message.channel == "SMS" else "email"
        try:
            response = await self._http.post(
                self._config.url,
                content=body,
                headers=headers,
                timeout=self._config.timeout_seconds,
            )
        except httpx.HTTPError as exc:
            # The URL may carry a token in its query: log the exception's kind, not its text.
            log.warning("webhook did not take the %s to %s (%s)", what, to, type(exc).__name__)
            raise CodeDeliveryFailureException(f"Unable to deliver {what} to {to}.") from exc
        if not 200 <= response.status_code < 300:
            log.warning("webhook refused the %s to %s (HTTP %d)", what, to, response.status_code)
            raise CodeDeliveryFailureException(f"Unable to deliver {what} to {to}.")
