"""SMS through Amazon SNS and email through Amazon SES: a real moto server with IAM checks on,
mamori signing as an IAM user allowed only sns:Publish and ses:SendEmail. The pool's templates
are applied, and a refused delivery leaves no user behind."""

from __future__ import annotations

import json
import re
import secrets
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import as_dict, attrs, error, unique
from tests.support.factories import PASSWORD, make_client, make_pool
from tests.support.live import Server, run_server
from tests.support.moto import Moto, run_moto

from mamori.adapters.delivery.aws import AwsConfig
from mamori.adapters.delivery.ses import SesConfig, SesSender
from mamori.domain.ids import PoolId
from mamori.services.ports import Message

SENDER = "no-reply@mamori.example"
SENDER_USER = "mamori-sender"
LEAST_PRIVILEGE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["sns:Publish", "ses:SendEmail"], "Resource": "*"}],
}
DENY_PUBLISH = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "sns:Publish", "Resource": "*"}],
}


@dataclass
class Aws:
    moto: Moto
    key_id: str
    secret: str

    def _model(self, service: str, name: str) -> list[dict[str, Any]]:
        # moto keeps what it was sent; in server mode its API serves every model instance.
        with urllib.request.urlopen(f"{self.moto.url}/moto-api/data.json", timeout=10) as resp:
            data = json.load(resp)
        return list(data.get(service, {}).get(name, []))

    def sms_to(self, phone: str) -> list[str]:
        return [m["message"] for m in self._model("sns", "SMS") if m["phone_number"] == phone]

    def emails_to(self, address: str) -> list[dict[str, Any]]:
        return [
            m
            for m in self._model("ses", "Message")
            if address in m["destinations"].get("ToAddresses", [])
        ]


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Aws]:
    with run_moto(tmp_path_factory.mktemp("moto-delivery")) as moto:
        iam = moto.admin("iam")
        iam.create_user(UserName=SENDER_USER)
        iam.put_user_policy(
            UserName=SENDER_USER,
            PolicyName="deliver",
            PolicyDocument=json.dumps(LEAST_PRIVILEGE),
        )
        key = iam.create_access_key(UserName=SENDER_USER)["AccessKey"]
        # SES sends only from identities it has verified.
        moto.admin("ses").verify_email_identity(EmailAddress=SENDER)
        yield Aws(moto, key["AccessKeyId"], key["SecretAccessKey"])


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def aws_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, aws: Aws
) -> Iterator[Server]:
    env = {
        "MAMORI_SMS_SENDER": "sns",
        "MAMORI_SNS_ENDPOINT": aws.moto.url,
        "MAMORI_SNS_ACCESS_KEY_ID": aws.key_id,
        "MAMORI_SNS_SECRET_ACCESS_KEY": aws.secret,
        "MAMORI_EMAIL_SENDER": "ses",
        "MAMORI_SES_ENDPOINT": aws.moto.url,
        "MAMORI_SES_REGION": "us-east-1",
        "MAMORI_SES_ACCESS_KEY_ID": aws.key_id,
        "MAMORI_SES_SECRET_ACCESS_KEY": aws.secret,
        "MAMORI_SES_SOURCE": SENDER,
        "MAMORI_DELIVERY_TIMEOUT_SECONDS": "5",
    }
    tmp: Path = tmp_path_factory.mktemp(f"aws-delivery-{request.param}")
    with run_server(tmp, request.param, extra_env=env) as live:
        yield live


def new_phone() -> str:
    return "+1555" + "".join(secrets.choice("0123456789") for _ in range(7))


def only(items: list[Any]) -> Any:
    assert len(items) == 1, items
    return items[0]


def test_sign_up_sms_through_sns(aws_server: Server, aws: Aws) -> None:
    pool_id = make_pool(
        aws_server,
        AutoVerifiedAttributes=["phone_number"],
        SmsVerificationMessage="Your mamori code is {####}.",
    )["Id"]
    client_id = make_client(aws_server, pool_id)["ClientId"]
    username, phone = unique(), new_phone()
    out = aws_server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(phone_number=phone),
    )
    assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"
    body = only(aws.sms_to(phone))
    match = re.fullmatch(r"Your mamori code is (\d{6})\.", body)
    assert match, body
    assert aws_server.outbox(pool_id, phone) == []
    aws_server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=match.group(1)
    )
    user = aws_server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"
    assert as_dict(user["UserAttributes"])["phone_number_verified"] == "true"


def test_sign_up_email_through_ses(aws_server: Server, aws: Aws) -> None:
    pool_id = make_pool(
        aws_server,
        EmailVerificationMessage="Hello! Your code is {####}",
        EmailVerificationSubject="Confirm your mamori account",
    )["Id"]
    client_id = make_client(aws_server, pool_id)["ClientId"]
    username = unique()
    address = f"{username}@example.com"
    out = aws_server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(email=address),
    )
    assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    mail = only(aws.emails_to(address))
    assert mail["source"] == SENDER
    assert mail["subject"] == "Confirm your mamori account"
    match = re.fullmatch(r"Hello! Your code is (\d{6})", mail["body"])
    assert match, mail["body"]
    aws_server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=match.group(1)
    )
    user = aws_server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert as_dict(user["UserAttributes"])["email_verified"] == "true"


def test_html_template_through_ses(aws_server: Server, aws: Aws) -> None:
    pool_id = make_pool(
        aws_server,
        VerificationMessageTemplate={
            "EmailMessage": "<p>Your code is <b>{####}</b></p>",
            "EmailSubject": "Your code",
            "DefaultEmailOption": "CONFIRM_WITH_CODE",
        },
    )["Id"]
    client_id = make_client(aws_server, pool_id)["ClientId"]
    username = unique()
    address = f"{username}@example.com"
    aws_server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(email=address),
    )
    # moto keeps the HTML part when there is one.
    body = only(aws.emails_to(address))["body"]
    assert re.fullmatch(r"<p>Your code is <b>\d{6}</b></p>", body), body


def test_invitation_through_sns_and_ses(aws_server: Server, aws: Aws) -> None:
    pool_id = make_pool(
        aws_server,
        AdminCreateUserConfig={
            "InviteMessageTemplate": {
                "SMSMessage": "{username}: temporary password {####}",
                "EmailMessage": "Welcome {username}, your temporary password is {####}",
                "EmailSubject": "Welcome to mamori",
            }
        },
    )["Id"]
    client_id = make_client(aws_server, pool_id)["ClientId"]
    username, phone = unique(), new_phone()
    address = f"{username}@example.com"
    aws_server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword="Temp-Passw0rd!",
        UserAttributes=attrs(email=address, phone_number=phone),
        DesiredDeliveryMediums=["SMS", "EMAIL"],
    )
    assert only(aws.sms_to(phone)) == f"{username}: temporary password Temp-Passw0rd!"
    mail = only(aws.emails_to(address))
    assert mail["subject"] == "Welcome to mamori"
    assert mail["body"] == f"Welcome {username}, your temporary password is Temp-Passw0rd!"
    challenge = aws_server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Temp-Passw0rd!"},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_resent_code_through_sns(aws_server: Server, aws: Aws) -> None:
    pool_id = make_pool(
        aws_server,
        AutoVerifiedAttributes=["phone_number"],
        SmsVerificationMessage="Code {####}",
    )["Id"]
    client_id = make_client(aws_server, pool_id)["ClientId"]
    username, phone = unique(), new_phone()
    aws_server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(phone_number=phone),
    )
    out = aws_server.public().resend_confirmation_code(ClientId=client_id, Username=username)
    assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"
    first, second = aws.sms_to(phone)
    match = re.fullmatch(r"Code (\d{6})", second)
    assert match, second
    if first != second:  # a fresh code replaces the first (equal one time in a million)
        with pytest.raises(ClientError) as exc:
            aws_server.public().confirm_sign_up(
                ClientId=client_id, Username=username, ConfirmationCode=first.split()[1]
            )
        assert error(exc)[0] == "CodeMismatchException"
    aws_server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=match.group(1)
    )


def test_sns_refusal_leaves_no_user(aws_server: Server, aws: Aws) -> None:
    pool_id = make_pool(aws_server, AutoVerifiedAttributes=["phone_number"])["Id"]
    client_id = make_client(aws_server, pool_id)["ClientId"]
    admin = aws_server.admin()
    username, invited, phone = unique(), unique(), new_phone()
    iam = aws.moto.admin("iam")
    iam.put_user_policy(
        UserName=SENDER_USER, PolicyName="deny-publish", PolicyDocument=json.dumps(DENY_PUBLISH)
    )
    try:
        with pytest.raises(ClientError) as exc:
            aws_server.public().sign_up(
                ClientId=client_id,
                Username=username,
                Password=PASSWORD,
                UserAttributes=attrs(phone_number=phone),
            )
        assert error(exc) == (
            "CodeDeliveryFailureException",
            f"Unable to deliver SMS to +*******{phone[-4:]}.",
        )
        with pytest.raises(ClientError) as exc:
            admin.admin_create_user(
                UserPoolId=pool_id,
                Username=invited,
                UserAttributes=attrs(phone_number=phone),
                DesiredDeliveryMediums=["SMS"],
            )
        assert error(exc)[0] == "CodeDeliveryFailureException"
    finally:
        iam.delete_user_policy(UserName=SENDER_USER, PolicyName="deny-publish")
    assert admin.list_users(UserPoolId=pool_id)["Users"] == []
    assert aws.sms_to(phone) == []
    assert aws_server.log_path is not None
    log = aws_server.log_path.read_text()
    assert f"SNS did not take the SMS to +*******{phone[-4:]} (AccessDenied" in log
    assert phone not in log
    assert aws.secret not in log
    # Allowed again, the same sign-up succeeds.
    aws_server.public().sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=attrs(phone_number=phone),
    )
    assert len(aws.sms_to(phone)) == 1


def test_ses_refusal_leaves_no_user(aws_server: Server, aws: Aws) -> None:
    pool_id = make_pool(aws_server)["Id"]
    client_id = make_client(aws_server, pool_id)["ClientId"]
    admin = aws_server.admin()
    username = unique()
    address = f"{username}@example.com"
    ses = aws.moto.admin("ses")
    ses.delete_identity(Identity=SENDER)  # SES now rejects the sender: MessageRejected
    try:
        with pytest.raises(ClientError) as exc:
            aws_server.public().sign_up(
                ClientId=client_id,
                Username=username,
                Password=PASSWORD,
                UserAttributes=attrs(email=address),
            )
        assert error(exc) == (
            "CodeDeliveryFailureException",
            f"Unable to deliver email to {username[0]}***@e***.",
        )
        with pytest.raises(ClientError) as exc:
            admin.admin_create_user(
                UserPoolId=pool_id,
                Username=username,
                UserAttributes=attrs(email=address),
                DesiredDeliveryMediums=["EMAIL"],
            )
        assert error(exc)[0] == "CodeDeliveryFailureException"
    finally:
        ses.verify_email_identity(EmailAddress=SENDER)
    with pytest.raises(ClientError) as exc:
        admin.admin_get_user(UserPoolId=pool_id, Username=username)
    assert error(exc)[0] == "UserNotFoundException"
    assert aws.emails_to(address) == []
    assert aws_server.log_path is not None
    log = aws_server.log_path.read_text()
    assert f"SES did not take the email to {username[0]}***@e*** (MessageRejected" in log
    assert address not in log


def test_a_message_from_and_reply_to_and_html_through_ses(aws: Aws) -> None:
    """An account-takeover notice names its own From (NotifyConfiguration.From, verified in
    SES as Cognito requires), Reply-To (moto keeps no Reply-To to check) and an HTML part."""
    notices = "security@mamori.example"
    aws.moto.admin("ses").verify_email_identity(EmailAddress=notices)
    config = AwsConfig("ses", "us-east-1", aws.moto.url, aws.key_id, aws.secret, 5.0)
    address = f"{unique()}@example.com"
    message = Message(
        PoolId("us-east-1_x"),
        "EMAIL",
        address,
        "New sign-in",
        "text part",
        "account-takeover",
        None,
        datetime.now(UTC),
        html="<p>html part</p>",
        sender=notices,
        reply_to="help@mamori.example",
    )
    anyio.run(SesSender(SesConfig(config, SENDER)).send, message)
    sent = only(aws.emails_to(address))
    assert sent["source"] == notices
    assert sent["body"] == "<p>html part</p>"
