"""Email delivery over SMTP (optionally STARTTLS), run in a worker thread."""

from __future__ import annotations

import email.utils
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import ClassVar

import anyio

from mamori.adapters.delivery.registry import SenderConfigError, SenderContext
from mamori.domain.errors import CodeDeliveryFailureException
from mamori.domain.users.user_rules import mask
from mamori.services.ports import Message


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False
    timeout: float = 10.0
    ca_file: str = ""  # trusted for STARTTLS in addition to the system's authorities


class SmtpSender:
    id: ClassVar[str] = "smtp"
    channels: ClassVar[frozenset[str]] = frozenset({"EMAIL"})

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config
        # Made once (and so checked at start-up): loading the system's trust store is slow.
        self._tls = ssl.create_default_context()
        if config.ca_file:
            self._tls.load_verify_locations(config.ca_file)

    @classmethod
    def from_config(cls, context: SenderContext) -> SmtpSender:
        ca_file = context.text("smtp_ca_file")
        config = SmtpConfig(
            context.text("smtp_host"),
            context.integer("smtp_port"),
            context.text("smtp_from"),
            context.text("smtp_username"),
            context.text("smtp_password"),
            context.flag("smtp_starttls"),
            float(context.integer("delivery_timeout_seconds")),
            ca_file,
        )
        try:
            return cls(config)
        except (OSError, ssl.SSLError) as exc:
            raise SenderConfigError(f"smtp_ca_file: cannot load {ca_file}: {exc}") from exc

    def _send(self, message: Message) -> None:
        mail = EmailMessage()
        # A message's own From (NotifyConfiguration.From) is the header; the envelope sender
        # stays smtp_from, the address the relay knows this server by.
        mail["From"] = message.sender or self._config.sender
        mail["To"] = message.destination
        if message.reply_to:
            mail["Reply-To"] = message.reply_to
        mail["Subject"] = message.subject or "Message from mamori"
        # Relays and spam filters expect both; the Message-ID domain is the sender's.
        mail["Date"] = email.utils.format_datetime(message.created)
        mail["Message-ID"] = email.utils.make_msgid(domain=self._config.sender.rpartition("@")[2])
        mail.set_content(message.body)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        cfg = self._config
        with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout) as smtp:
            if cfg.starttls:
                smtp.starttls(context=self._tls)
            if cfg.username:
                smtp.login(cfg.username, cfg.password)
            smtp.send_message(mail, from_addr=cfg.sender)

    async def send(self, message: Message) -> None:
        try:
            await anyio.to_thread.run_sync(self._send, message)
        except (OSError, smtplib.SMTPException) as exc:
            raise CodeDeliveryFailureException(
                f"Unable to deliver email to {mask(message.destination)}: {type(exc).__name__}"
            ) from exc
