"""SMS through Amazon SNS (`Publish` to a phone number), or any SNS-compatible endpoint."""

from __future__ import annotations

import logging
from typing import ClassVar

import anyio
from botocore.exceptions import BotoCoreError, ClientError

from mamori.adapters.delivery.aws import AwsClient, AwsConfig, failure_reason
from mamori.adapters.delivery.registry import SenderContext
from mamori.domain.errors import CodeDeliveryFailureException
from mamori.domain.users.user_rules import mask
from mamori.services.ports import Message

log = logging.getLogger("mamori.delivery")

# Codes and temporary passwords are transactional: SNS routes them for reliability, not cost.
_ATTRIBUTES = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}


class SnsSender:
    id: ClassVar[str] = "sns"
    channels: ClassVar[frozenset[str]] = frozenset({"SMS"})

    def __init__(self, config: AwsConfig) -> None:
        self._aws = AwsClient(config)

    @classmethod
    def from_config(cls, context: SenderContext) -> SnsSender:
        return cls(AwsConfig.from_settings("sns", context))

    def _publish(self, message: Message) -> None:
        self._aws.get().publish(
            PhoneNumber=message.destination,
            Message=message.body,
            MessageAttributes=_ATTRIBUTES,
        )

    async def send(self, message: Message) -> None:
        try:
            await anyio.to_thread.run_sync(self._publish, message)
        except (BotoCoreError, ClientError) as exc:
            reason = failure_reason(exc)
            log.warning(
                "SNS did not take the SMS to %s (%s, %s)",
                mask(message.destination),
                reason,
                self._aws.config.endpoint or self._aws.config.region,
            )
            raise CodeDeliveryFailureException(
                f"Unable to deliver SMS to {mask(message.destination)}."
            ) from exc
