"""Email delivery over SMTP (optionally STARTTLS), run in a worker thread."""

from __future__ import annotations

import email.utils
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

import anyio

from mamori.domain.errors import CodeDeliveryFailureException
from mamori.domain.user_rules import mask
from mamori.ports import Message


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False
    timeout: float = 10.0


class SmtpSender:
    id = "smtp"

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    def _send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["From"] = self._config.sender
        mail["To"] = message.destination
        mail["Subject"] = message.subject or "Message from mamori"
        # Relays and spam filters expect both; the Message-ID domain is the sender's.
        mail["Date"] = email.utils.format_datetime(message.created)
        mail["Message-ID"] = email.utils.make_msgid(domain=self._config.sender.rpartition("@")[2])
        mail.set_content(message.body)
        cfg = self._config
        with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout) as smtp:
            if cfg.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if cfg.username:
                smtp.login(cfg.username, cfg.password)
            smtp.send_message(mail)

    async def send(self, message: Message) -> None:
        try:
            await anyio.to_thread.run_sync(self._send, message)
        except (OSError, smtplib.SMTPException) as exc:
            raise CodeDeliveryFailureException(
                f"Unable to deliver email to {mask(message.destination)}: {type(exc).__name__}"
            ) from exc
