"""Messages: the outbox by default, SMTP when configured (a real local SMTP server), delivery
failures that leave nothing behind, and codes kept only as digests."""

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
from sqlalchemy import text
from tests.support.cognito import as_dict, attrs, error, unique
from tests.support.factories import PASSWORD, make_client, make_pool, sign_in
from tests.support.live import Server, free_port, run_server

from mamori.adapters.store.sql.connection.engine import make_sync_engine

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


# --- the outbox, the default sender
def test_outbox_needs_admin_credentials(server: Server) -> None:
    import urllib.error
    import urllib.request

    for headers in ({}, {"Authorization": "Basic bm9ib2R5Om5vdGhpbmc="}):
        req = urllib.request.Request(f"{server.url}/admin/outbox", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(req, timeout=10)
        exc.value.close()
        assert exc.value.code == 401


def test_outbox_keeps_messages_per_pool(server: Server) -> None:
    pool_a, pool_b = make_pool(server)["Id"], make_pool(server)["Id"]
    client_a = make_client(server, pool_a)["ClientId"]
    username = unique()
    address = f"{username}@example.com"
    server.public().sign_up(
        ClientId=client_a, Username=username, Password=PASSWORD, UserAttributes=attrs(email=address)
    )
    [message] = server.outbox(pool_a, address)
    assert (message["channel"], message["to"], message["kind"]) == (
        "EMAIL",
        address,
        "confirmation",
    )
    assert message["subject"]
    assert message["code"] in message["body"]
    assert server.outbox(pool_b, address) == []


def test_custom_verification_message(server: Server) -> None:
    pool_id = make_pool(
        server,
        VerificationMessageTemplate={
            "EmailMessage": "Your code for Mamori is {####}!",
            "EmailSubject": "Confirm your account",
            "DefaultEmailOption": "CONFIRM_WITH_CODE",
        },
    )["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    username = unique()
    address = f"{username}@example.com"
    server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(email=address),
    )
    [message] = server.outbox(pool_id, address)
    assert message["subject"] == "Confirm your account"
    assert message["body"] == f"Your code for Mamori is {message['code']}!"


def test_codes_are_stored_only_as_digests(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    username = unique()
    address = f"{username}@example.com"
    sub = server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(email=address),
    )["UserSub"]
    code = server.latest_code(pool_id, address)
    rows = stored_codes(server, pool_id, sub)
    assert len(rows) == 1
    row = rows[0]
    assert re.fullmatch(r"[0-9a-f]{64}", row["digest"]), row["digest"]
    assert all(code not in str(value) for value in row.values())
    server.public().confirm_sign_up(ClientId=client_id, Username=username, ConfirmationCode=code)
    # A used code is gone.
    assert stored_codes(server, pool_id, sub) == []


def stored_codes(server: Server, pool_id: str, sub: str) -> list[dict[str, Any]]:
    engine = make_sync_engine(server.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT * FROM codes WHERE pool_id = :p AND sub = :s"),
                {"p": pool_id, "s": sub},
            ).all()
    finally:
        engine.dispose()
    return [dict(r._mapping) for r in rows]


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
