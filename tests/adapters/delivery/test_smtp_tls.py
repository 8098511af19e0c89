"""Email over SMTP with STARTTLS: a real aiosmtpd server that requires STARTTLS and AUTH, with a
certificate from a throwaway CA that mamori is told to trust (smtp_ca_file). An untrusted
certificate or a server without STARTTLS is a delivery failure, never a plaintext fallback."""

from __future__ import annotations

import email
import email.policy
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from botocore.exceptions import ClientError
from tests.support.cognito import attrs as attributes
from tests.support.cognito import error, unique
from tests.support.factories import PASSWORD, make_client, make_pool
from tests.support.live import Server, free_port, run_server
from tests.support.tls import Authority

SENDER = "auth@mamori.test"
LOGIN, SMTP_PASSWORD = "mamori", "smtp-s3cret-passw0rd"


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.sessions.append({"tls": session.ssl is not None, "login": session.auth_data})
        return "250 Message accepted"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.logins.append(auth_data.login.decode())
        ok = (auth_data.login, auth_data.password) == (LOGIN.encode(), SMTP_PASSWORD.encode())
        return AuthResult(success=ok, auth_data=auth_data.login.decode())

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@dataclass
class TlsSmtp:
    """aiosmtpd on a fixed port, restartable with a trusted cert, an untrusted one, or none."""

    trusted: ssl.SSLContext
    untrusted: ssl.SSLContext
    port: int = field(default_factory=free_port)
    mailbox: Mailbox = field(default_factory=Mailbox)
    _controller: Controller | None = None

    def start(self, mode: str = "trusted") -> None:
        tls: dict[str, Any] = {}
        if mode != "plain":
            tls = {
                "tls_context": self.trusted if mode == "trusted" else self.untrusted,
                "require_starttls": True,
                "auth_required": True,
                "auth_require_tls": True,
                "authenticator": self.mailbox.authenticate,
            }
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, **tls)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def restart(self, mode: str) -> None:
        self.stop()
        self.start(mode)


@dataclass
class World:
    smtp: TlsSmtp
    server: Server


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("smtp-tls")
    trusted = Authority.create(tmp, "trusted CA")
    untrusted = Authority.create(tmp, "untrusted CA")
    smtp = TlsSmtp(trusted.server_context(tmp), untrusted.server_context(tmp))
    smtp.start()
    env = {
        "MAMORI_EMAIL_SENDER": "smtp",
        "MAMORI_SMTP_HOST": "127.0.0.1",
        "MAMORI_SMTP_PORT": str(smtp.port),
        "MAMORI_SMTP_FROM": SENDER,
        "MAMORI_SMTP_STARTTLS": "true",
        "MAMORI_SMTP_CA_FILE": str(trusted.cert_path),
        "MAMORI_SMTP_USERNAME": LOGIN,
        "MAMORI_SMTP_PASSWORD": SMTP_PASSWORD,
        "MAMORI_DELIVERY_TIMEOUT_SECONDS": "5",
    }
    try:
        with run_server(tmp, "sqlite", extra_env=env) as server:
            yield World(smtp, server)
    finally:
        smtp.stop()


@pytest.fixture
def smtp(world: World) -> Iterator[TlsSmtp]:
    yield world.smtp
    world.smtp.restart("trusted")


def sign_up(server: Server, client_id: str, username: str) -> dict[str, Any]:
    return dict(
        server.public().sign_up(
            ClientId=client_id,
            Username=username,
            Password=PASSWORD,
            UserAttributes=attributes(email=f"{username}@example.com"),
        )
    )


def test_code_over_starttls_with_auth(world: World, smtp: TlsSmtp) -> None:
    server = world.server
    pool_id = make_pool(
        server,
        EmailVerificationMessage="Your code: {####}",
        EmailVerificationSubject="mamori verification",
    )["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    username = unique()
    sign_up(server, client_id, username)
    [message] = smtp.mailbox.to(f"{username}@example.com")
    index = smtp.mailbox.messages.index(message)
    # The server required STARTTLS before MAIL and before AUTH: the session was encrypted and
    # authenticated as the configured login.
    assert smtp.mailbox.sessions[index] == {"tls": True, "login": LOGIN}
    assert message["From"] == SENDER
    assert message["Subject"] == "mamori verification"
    match = re.fullmatch(r"Your code: (\d{6})\s*", message.get_content())
    assert match, message.get_content()
    server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=match.group(1)
    )


@pytest.mark.parametrize("mode", ["untrusted", "plain"])
def test_no_trusted_tls_no_delivery(world: World, smtp: TlsSmtp, mode: str) -> None:
    """An unknown certificate, or a server that offers no STARTTLS: refused, nothing left."""
    server = world.server
    pool_id = make_pool(server)["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    username = unique()
    logins_before = len(smtp.mailbox.logins)
    smtp.restart(mode)
    with pytest.raises(ClientError) as exc:
        sign_up(server, client_id, username)
    assert error(exc) == (
        "CodeDeliveryFailureException",
        f"Unable to deliver email to {username[0]}***@e***: "
        + ("SSLCertVerificationError" if mode == "untrusted" else "SMTPNotSupportedError"),
    )
    assert smtp.mailbox.to(f"{username}@example.com") == []
    # The password never went over an unverified or plaintext connection.
    assert len(smtp.mailbox.logins) == logins_before
    with pytest.raises(ClientError) as exc:
        server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert error(exc)[0] == "UserNotFoundException"
    assert server.log_path is not None
    assert SMTP_PASSWORD not in server.log_path.read_text()
