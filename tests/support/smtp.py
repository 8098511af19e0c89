"""A local SMTP server (aiosmtpd) that keeps what it is sent, for tests of mamori's email."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from tests.support.live import free_port


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class Smtp:
    """A local SMTP server on a port of its own."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def env(self, sender: str = "auth@mamori.test") -> dict[str, str]:
        """Server settings that send email here."""
        return {
            "MAMORI_EMAIL_SENDER": "smtp",
            "MAMORI_SMTP_HOST": "127.0.0.1",
            "MAMORI_SMTP_PORT": str(self.port),
            "MAMORI_SMTP_FROM": sender,
        }


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain", "html"))
    assert part is not None
    return str(part.get_content())
