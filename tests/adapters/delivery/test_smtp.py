"""Email over SMTP when configured (a real local SMTP server): confirmation and invitation mails,
delivery failures that leave nothing behind, SMS staying in the outbox (the outbox itself:
tests/api/http/test_outbox.py)."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from botocore.exceptions import ClientError
from tests.support.cognito import as_dict, attrs, error, unique
from tests.support.factories import PASSWORD, make_client, make_pool, sign_in
from tests.support.live import Server, free_port, run_server

SENDER = "auth@mamori.test"


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
    """A local SMTP server on a fixed port that can be stopped and started again."""

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


@pytest.fixture(scope="module")
def smtp() -> Iterator[Smtp]:
    server = Smtp()
    server.start()
    yield server
    server.stop()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def mail_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, smtp: Smtp
) -> Iterator[Server]:
    """mamori sending email over SMTP to the local server."""
    tmp: Path = tmp_path_factory.mktemp(f"smtp-{request.param}")
    env = {
        "MAMORI_EMAIL_SENDER": "smtp",
        "MAMORI_SMTP_HOST": "127.0.0.1",
        "MAMORI_SMTP_PORT": str(smtp.port),
        "MAMORI_SMTP_FROM": SENDER,
    }
    with run_server(tmp, request.param, extra_env=env) as live:
        yield live


def code_in(message: EmailMessage) -> str:
    body = message.get_content()
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


# --- SMTP
def test_confirmation_email_over_smtp(mail_server: Server, smtp: Smtp) -> None:
    pool_id = make_pool(mail_server)["Id"]
    client_id = make_client(mail_server, pool_id)["ClientId"]
    username = unique()
    address = f"{username}@example.com"
    out = mail_server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(email=address),
    )
    assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    [message] = smtp.inbox.to(address)
    assert message["From"] == SENDER
    assert message["Subject"]
    assert message["Date"]
    assert message["Message-ID"].endswith("@mamori.test>")
    # Sent by SMTP, not kept in the outbox.
    assert mail_server.outbox(pool_id, address) == []
    mail_server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=code_in(message)
    )
    assert sign_in(mail_server, client_id, username)["AccessToken"]


def test_invitation_over_smtp(mail_server: Server, smtp: Smtp) -> None:
    pool_id = make_pool(mail_server)["Id"]
    username = unique()
    address = f"{username}@example.com"
    mail_server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword="Temp-Passw0rd!",
        UserAttributes=attrs(email=address),
        DesiredDeliveryMediums=["EMAIL"],
    )
    [message] = smtp.inbox.to(address)
    assert username in message.get_content()
    assert "Temp-Passw0rd!" in message.get_content()


def test_smtp_down(mail_server: Server, smtp: Smtp) -> None:
    pool_id = make_pool(mail_server)["Id"]
    client_id = make_client(mail_server, pool_id)["ClientId"]
    admin = mail_server.admin()
    username = unique()
    address = f"{username}@example.com"
    invited = unique()
    smtp.stop()
    try:
        with pytest.raises(ClientError) as exc:
            mail_server.public().sign_up(
                ClientId=client_id,
                Username=username,
                Password=PASSWORD,
                UserAttributes=attrs(email=address),
            )
        assert error(exc)[0] == "CodeDeliveryFailureException"
        with pytest.raises(ClientError) as exc:
            admin.admin_create_user(
                UserPoolId=pool_id,
                Username=invited,
                UserAttributes=attrs(email=f"{invited}@example.com"),
                DesiredDeliveryMediums=["EMAIL"],
            )
        assert error(exc)[0] == "CodeDeliveryFailureException"
        # Nothing was left behind.
        for name in (username, invited):
            with pytest.raises(ClientError) as exc:
                admin.admin_get_user(UserPoolId=pool_id, Username=name)
            assert error(exc)[0] == "UserNotFoundException"
        assert admin.list_users(UserPoolId=pool_id)["Users"] == []
    finally:
        smtp.start()
    # The same sign-up works once mail flows again.
    mail_server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(email=address),
    )
    [message] = smtp.inbox.to(address)
    mail_server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=code_in(message)
    )
    user = admin.admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"
    assert as_dict(user["UserAttributes"])["email_verified"] == "true"


def test_sms_stays_in_the_outbox(mail_server: Server, smtp: Smtp) -> None:
    pool_id = make_pool(mail_server, AutoVerifiedAttributes=["phone_number"])["Id"]
    client_id = make_client(mail_server, pool_id)["ClientId"]
    username = unique()
    phone = "+15550009876"
    out = mail_server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(email=f"{username}@example.com", phone_number=phone),
    )
    assert out["CodeDeliveryDetails"] == {
        "Destination": "+*******9876",
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }
    assert smtp.inbox.to(f"{username}@example.com") == []
    code = mail_server.latest_code(pool_id, phone)
    mail_server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=code
    )
    attributes = as_dict(
        mail_server.admin().admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"]
    )
    assert attributes["phone_number_verified"] == "true"
