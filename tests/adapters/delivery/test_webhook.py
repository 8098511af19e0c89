"""SMS and email through the signed webhook sender: a real HTTPS receiver (its own CA) that checks
every Standard Webhooks signature, templates applied, and failed deliveries that leave nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import as_dict, attrs, error, unique
from tests.support.factories import PASSWORD, make_client, make_pool
from tests.support.live import Server, run_server
from tests.support.tls import Authority

from mamori.adapters.delivery.webhook import payload
from mamori.domain.ids import PoolId
from mamori.services.ports import Message

KEY = secrets.token_bytes(32)
SECRET = "whsec_" + base64.b64encode(KEY).decode()
TOLERANCE = 300  # seconds, as Standard Webhooks recommends


@dataclass
class Delivery:
    headers: dict[str, str]
    raw: bytes
    payload: dict[str, Any]


@dataclass
class Receiver:
    """The webhook endpoint: verifies like a careful receiver, answers as `mode` says."""

    port: int = 0
    mode: str = "ok"  # ok | error | redirect | slow
    deliveries: list[Delivery] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    seen_ids: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, headers: dict[str, str], raw: bytes) -> str | None:
        """Why the request is not authentic, or None."""
        message_id = headers.get("webhook-id", "")
        stamp = headers.get("webhook-timestamp", "")
        signatures = headers.get("webhook-signature", "")
        if not (message_id and stamp.isdigit() and signatures):
            return "missing headers"
        if abs(time.time() - int(stamp)) > TOLERANCE:
            return "timestamp out of tolerance"
        expected = base64.b64encode(
            hmac.new(KEY, f"{message_id}.{stamp}.".encode() + raw, hashlib.sha256).digest()
        ).decode()
        if not any(
            version == "v1" and hmac.compare_digest(value, expected)
            for version, _, value in (s.partition(",") for s in signatures.split())
        ):
            return "bad signature"
        if message_id in self.seen_ids:
            return "replayed"
        self.seen_ids.add(message_id)
        return None

    def to(self, destination: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.payload["to"] == destination]


def handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def answer(self, status: int, extra: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting (the timeout test)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            if self.path != "/hooks/messages" or headers.get("content-type") != "application/json":
                receiver.rejected.append(f"bad request {self.path}")
                self.answer(400)
                return
            with receiver.lock:
                reason = receiver.verify(headers, raw)
            if reason:
                receiver.rejected.append(reason)
                self.answer(401)
                return
            mode = receiver.mode
            if mode == "error":
                self.answer(500)
            elif mode == "redirect":
                self.answer(302, {"Location": "/hooks/elsewhere"})
            elif mode == "slow":
                time.sleep(2.5)  # beyond the server's 1 s delivery timeout
                self.answer(204)
            else:
                receiver.deliveries.append(Delivery(headers, raw, json.loads(raw)))
                self.answer(204)

    return Handler


@dataclass
class Endpoint:
    receiver: Receiver
    url: str
    ca_file: Path


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    tmp = tmp_path_factory.mktemp("webhook-tls")
    authority = Authority.create(tmp, "webhook test CA")
    receiver = Receiver()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(receiver))
    httpd.socket = authority.server_context(tmp).wrap_socket(httpd.socket, server_side=True)
    receiver.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{receiver.port}/hooks/messages"
        yield Endpoint(receiver, url, authority.cert_path)
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def hook_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, endpoint: Endpoint
) -> Iterator[Server]:
    """mamori sending SMS and email to the webhook, trusting the receiver's CA."""
    env = {
        "MAMORI_SMS_SENDER": "webhook",
        "MAMORI_EMAIL_SENDER": "webhook",
        "MAMORI_WEBHOOK_URL": endpoint.url,
        "MAMORI_WEBHOOK_SECRET": SECRET,
        "MAMORI_WEBHOOK_CA_FILE": str(endpoint.ca_file),
        "MAMORI_DELIVERY_TIMEOUT_SECONDS": "1",
    }
    tmp: Path = tmp_path_factory.mktemp(f"webhook-{request.param}")
    with run_server(tmp, request.param, extra_env=env) as live:
        yield live


@pytest.fixture
def receiver(endpoint: Endpoint) -> Iterator[Receiver]:
    endpoint.receiver.mode = "ok"
    yield endpoint.receiver
    endpoint.receiver.mode = "ok"
    assert endpoint.receiver.rejected == [], "a delivery failed the receiver's checks"


def new_phone() -> str:
    return "+1555" + "".join(secrets.choice("0123456789") for _ in range(7))


def test_sign_up_code_by_sms_webhook(hook_server: Server, receiver: Receiver) -> None:
    pool_id = make_pool(
        hook_server,
        AutoVerifiedAttributes=["phone_number"],
        SmsVerificationMessage="Your mamori code is {####}",
    )["Id"]
    client_id = make_client(hook_server, pool_id)["ClientId"]
    username, phone = unique(), new_phone()
    before = time.time()
    out = hook_server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(phone_number=phone),
    )
    assert out["CodeDeliveryDetails"] == {
        "Destination": "+*******" + phone[-4:],
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }
    [delivery] = receiver.to(phone)
    payload = delivery.payload
    code = payload["code"]
    assert re.fullmatch(r"\d{6}", code)
    assert payload == {
        "type": "message.sms",
        "channel": "SMS",
        "to": phone,
        "body": f"Your mamori code is {code}",
        "kind": "confirmation",
        "pool_id": pool_id,
        "code": code,
        "created": payload["created"],
    }
    # The headers, checked independently of the receiver: Standard Webhooks' v1 signature over
    # "<webhook-id>.<webhook-timestamp>.<raw body>" with the whsec_ secret's decoded key.
    headers = delivery.headers
    assert re.fullmatch(r"msg_[A-Za-z0-9_-]{20,}", headers["webhook-id"])
    assert before - 2 <= int(headers["webhook-timestamp"]) <= time.time() + 2
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + delivery.raw
    mac = hmac.new(KEY, signed, hashlib.sha256).digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(mac).decode()
    # Delivered by webhook, not kept in the outbox.
    assert hook_server.outbox(pool_id, phone) == []
    hook_server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=code
    )
    user = hook_server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert as_dict(user["UserAttributes"])["phone_number_verified"] == "true"


def test_email_code_by_webhook(hook_server: Server, receiver: Receiver) -> None:
    pool_id = make_pool(
        hook_server,
        VerificationMessageTemplate={
            "EmailMessage": "Welcome! Confirm with {####}.",
            "EmailSubject": "Confirm your mamori account",
            "DefaultEmailOption": "CONFIRM_WITH_CODE",
        },
    )["Id"]
    client_id = make_client(hook_server, pool_id)["ClientId"]
    username = unique()
    address = f"{username}@example.com"
    hook_server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(email=address),
    )
    [delivery] = receiver.to(address)
    payload = delivery.payload
    assert (payload["type"], payload["channel"], payload["kind"]) == (
        "message.email",
        "EMAIL",
        "confirmation",
    )
    assert payload["subject"] == "Confirm your mamori account"
    assert payload["body"] == f"Welcome! Confirm with {payload['code']}."
    hook_server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=payload["code"]
    )


def test_invitation_by_webhook(hook_server: Server, receiver: Receiver) -> None:
    pool_id = make_pool(
        hook_server,
        AdminCreateUserConfig={
            "InviteMessageTemplate": {
                "SMSMessage": "Hi {username}, your temporary password is {####}",
                "EmailMessage": "Welcome {username}! Sign in with {####} and pick a password.",
                "EmailSubject": "Your mamori invitation",
            }
        },
    )["Id"]
    client_id = make_client(hook_server, pool_id)["ClientId"]
    username, phone = unique(), new_phone()
    address = f"{username}@example.com"
    hook_server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=attrs(email=address, phone_number=phone),
        DesiredDeliveryMediums=["SMS", "EMAIL"],
    )
    [sms] = receiver.to(phone)
    [mail] = receiver.to(address)
    assert sms.payload["kind"] == mail.payload["kind"] == "invitation"
    # The temporary password is in the message body only, never a separate field.
    assert "code" not in sms.payload and "code" not in mail.payload
    match = re.fullmatch(rf"Hi {username}, your temporary password is (\S+)", sms.payload["body"])
    assert match, sms.payload["body"]
    password = match.group(1)
    assert mail.payload["subject"] == "Your mamori invitation"
    assert (
        mail.payload["body"] == f"Welcome {username}! Sign in with {password} and pick a password."
    )
    assert sms.headers["webhook-id"] != mail.headers["webhook-id"]
    challenge = hook_server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


@pytest.mark.parametrize("mode", ["error", "redirect", "slow"])
def test_failed_delivery_leaves_no_user(hook_server: Server, receiver: Receiver, mode: str) -> None:
    pool_id = make_pool(hook_server, AutoVerifiedAttributes=["phone_number"])["Id"]
    client_id = make_client(hook_server, pool_id)["ClientId"]
    admin = hook_server.admin()
    username, phone = unique(), new_phone()
    receiver.mode = mode
    with pytest.raises(ClientError) as exc:
        hook_server.public().sign_up(
            ClientId=client_id,
            Username=username,
            Password=PASSWORD,
            UserAttributes=attrs(phone_number=phone),
        )
    code, message = error(exc)
    assert code == "CodeDeliveryFailureException"
    assert message == f"Unable to deliver SMS to +*******{phone[-4:]}."
    if mode != "slow":  # one slow round is enough: each waits out the timeout
        with pytest.raises(ClientError) as exc:
            admin.admin_create_user(
                UserPoolId=pool_id,
                Username=username,
                UserAttributes=attrs(phone_number=phone),
                DesiredDeliveryMediums=["SMS"],
            )
        assert error(exc)[0] == "CodeDeliveryFailureException"
    with pytest.raises(ClientError) as exc:
        admin.admin_get_user(UserPoolId=pool_id, Username=username)
    assert error(exc)[0] == "UserNotFoundException"
    assert admin.list_users(UserPoolId=pool_id)["Users"] == []
    assert receiver.to(phone) == []
    # Once the webhook answers again the same sign-up goes through.
    receiver.mode = "ok"
    hook_server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(phone_number=phone),
    )
    assert len(receiver.to(phone)) == 1


def test_log_names_masked_destination_only(hook_server: Server, receiver: Receiver) -> None:
    pool_id = make_pool(hook_server, AutoVerifiedAttributes=["phone_number"])["Id"]
    client_id = make_client(hook_server, pool_id)["ClientId"]
    phone = new_phone()
    receiver.mode = "error"
    with pytest.raises(ClientError):
        hook_server.public().sign_up(
            ClientId=client_id,
            Username=unique(),
            Password=PASSWORD,
            UserAttributes=attrs(phone_number=phone),
        )
    assert hook_server.log_path is not None
    log = hook_server.log_path.read_text()
    assert f"webhook refused the SMS to +*******{phone[-4:]} (HTTP 500)" in log
    assert phone not in log
    assert SECRET not in log and SECRET[6:] not in log
    assert "/hooks/messages" not in log


def test_failed_invitation_resend_keeps_the_old_password(
    hook_server: Server, receiver: Receiver
) -> None:
    pool_id = make_pool(hook_server)["Id"]
    client_id = make_client(hook_server, pool_id)["ClientId"]
    admin = hook_server.admin()
    username, phone = unique(), new_phone()
    admin.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword="First-Passw0rd!",
        UserAttributes=attrs(phone_number=phone),
        DesiredDeliveryMediums=["SMS"],
    )
    assert len(receiver.to(phone)) == 1
    receiver.mode = "error"
    with pytest.raises(ClientError) as exc:
        admin.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            TemporaryPassword="Second-Passw0rd!",
            MessageAction="RESEND",
            DesiredDeliveryMediums=["SMS"],
        )
    assert error(exc)[0] == "CodeDeliveryFailureException"
    receiver.mode = "ok"
    # The invitation that did arrive still holds: its password signs in, the undelivered
    # one does not.
    for password, works in (("Second-Passw0rd!", False), ("First-Passw0rd!", True)):
        try:
            out = hook_server.public().initiate_auth(
                ClientId=client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as err:
            assert not works, err
            assert err.response["Error"]["Code"] == "NotAuthorizedException"
        else:
            assert works
            assert out["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_failed_resend_keeps_the_delivered_code(hook_server: Server, receiver: Receiver) -> None:
    pool_id = make_pool(hook_server, AutoVerifiedAttributes=["phone_number"])["Id"]
    client_id = make_client(hook_server, pool_id)["ClientId"]
    username, phone = unique(), new_phone()
    public = hook_server.public()
    public.sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(phone_number=phone),
    )
    [delivered] = receiver.to(phone)
    receiver.mode = "error"
    with pytest.raises(ClientError) as exc:
        public.resend_confirmation_code(ClientId=client_id, Username=username)
    assert error(exc)[0] == "CodeDeliveryFailureException"
    receiver.mode = "ok"
    # The code the user did get still confirms the account.
    public.confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=delivered.payload["code"]
    )


def test_an_email_with_html_from_and_reply_to_carries_them() -> None:
    """An account-takeover notice's HTML part, From and Reply-To reach the receiver as fields;
    a code's email has none of them."""
    message = Message(
        PoolId("us-east-1_x"),
        "EMAIL",
        "alice@example.com",
        "New sign-in",
        "text",
        "account-takeover",
        None,
        datetime.now(UTC),
        html="<p>html</p>",
        sender="security@example.com",
        reply_to="help@example.com",
    )
    body = payload(message)
    assert (body["body"], body["html"], body["from"], body["reply_to"]) == (
        "text",
        "<p>html</p>",
        "security@example.com",
        "help@example.com",
    )
    plain = payload(replace(message, html=None, sender=None, reply_to=None))
    assert not {"html", "from", "reply_to"} & set(plain)
