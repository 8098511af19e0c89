"""Email through Amazon SES (`SendEmail`), or any SES-compatible endpoint."""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import anyio
from botocore.exceptions import BotoCoreError, ClientError

from mamori.adapters.delivery.aws import AwsClient, AwsConfig, failure_reason
from mamori.adapters.delivery.registry import SenderConfigError, SenderContext
from mamori.domain.errors import CodeDeliveryFailureException
from mamori.domain.users.user_rules import mask
from mamori.services.ports import Message

log = logging.getLogger("mamori.delivery")

_TAG = re.compile(r"<[A-Za-z/][^<>]*>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/h[1-6]|/li|/tr)\b[^<>]*>", re.IGNORECASE)
_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
DEFAULT_SUBJECT = "Message from mamori"


@dataclass(frozen=True)
class SesConfig:
    aws: AwsConfig
    source: str  # From: an identity SES has verified


def email_content(subject: str, body: str) -> dict[str, Any]:
    """SES's Message: the text as is, and as HTML too when the pool's template is HTML."""
    # Cognito: EmailMessage templates may hold HTML; Cognito sends them as HTML mail.
    content: dict[str, Any] = {"Subject": {"Data": subject, "Charset": "UTF-8"}}
    if _TAG.search(body):
        text = html.unescape(_TAG.sub("", _BREAK.sub("\n", body))).strip()
        content["Body"] = {
            "Html": {"Data": body, "Charset": "UTF-8"},
            "Text": {"Data": text, "Charset": "UTF-8"},
        }
    else:
        content["Body"] = {"Text": {"Data": body, "Charset": "UTF-8"}}
    return content


class SesSender:
    id: ClassVar[str] = "ses"
    channels: ClassVar[frozenset[str]] = frozenset({"EMAIL"})

    def __init__(self, config: SesConfig) -> None:
        self._config = config
        self._aws = AwsClient(config.aws)

    @classmethod
    def from_config(cls, context: SenderContext) -> SesSender:
        source = context.text("ses_source").strip() or context.text("smtp_from").strip()
        if not _ADDRESS.search(source):
            raise SenderConfigError(f"ses_source {source!r} is not an email address")
        return cls(SesConfig(AwsConfig.from_settings("ses", context), source))

    def _send(self, message: Message) -> None:
        content = email_content(message.subject or DEFAULT_SUBJECT, message.body)
        if message.html:
            content["Body"] = {
                "Html": {"Data": message.html, "Charset": "UTF-8"},
                "Text": {"Data": message.body, "Charset": "UTF-8"},
            }
        extra: dict[str, Any] = {}
        if message.reply_to:
            extra["ReplyToAddresses"] = [message.reply_to]
        # Cognito: NotifyConfiguration.From must be an identity SES has verified, as ses_source.
        self._aws.get().send_email(
            Source=message.sender or self._config.source,
            Destination={"ToAddresses": [message.destination]},
            Message=content,
            **extra,
        )

    async def send(self, message: Message) -> None:
        try:
            await anyio.to_thread.run_sync(self._send, message)
        except (BotoCoreError, ClientError) as exc:
            reason = failure_reason(exc)
            log.warning(
                "SES did not take the email to %s (%s, %s)",
                mask(message.destination),
                reason,
                self._aws.config.endpoint or self._aws.config.region,
            )
            raise CodeDeliveryFailureException(
                f"Unable to deliver email to {mask(message.destination)}."
            ) from exc
