"""CustomMessage, CustomEmailSender and CustomSMSSender against a live server sending email to a
local SMTP server, the functions run in-process: the message the function writes is the one
delivered (code put in after), one without the placeholder refused with nothing left behind,
every source, and the custom senders given the code encrypted (a local AES key here; KMS, moto's,
in the last tests), which the test decrypts and confirms with."""

from __future__ import annotations

import base64
import json
import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_encryption_sdk
import boto3
import pytest
from aws_encryption_sdk.identifiers import CommitmentPolicy, EncryptionKeyType, WrappingAlgorithm
from aws_encryption_sdk.key_providers.kms import KMSMasterKey, KMSMasterKeyConfig
from aws_encryption_sdk.key_providers.raw import RawMasterKey, WrappingKey
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer
from tests.support.cognito import as_dict, attrs, error, unique
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.live import REGION, Server, free_port, run_server
from tests.support.mfa import mfa_pool
from tests.support.node import NODE_DIR, needs_node
from tests.support.smtp import Smtp, body_of
from tests.support.triggers import TriggerScript, lambda_config

LOCAL_KEY = secrets.token_bytes(32)
KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/mamori-test"
MESSAGES = lambda_config(CustomMessage="custom_message")
SENDERS = lambda_config(
    CustomEmailSender="custom_email_sender",
    CustomSMSSender="custom_sms_sender",
    KMSKeyID=KMS_KEY_ARN,
)
SDK = aws_encryption_sdk.EncryptionSDKClient(
    commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
)


@pytest.fixture(scope="module")
def smtp() -> Iterator[Smtp]:
    server = Smtp()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, smtp: Smtp
) -> Iterator[tuple[Server, TriggerScript]]:
    tmp: Path = tmp_path_factory.mktemp("message-triggers")
    script = TriggerScript(tmp)
    env = {
        **script.env(),
        **smtp.env(),
        "MAMORI_CUSTOM_SENDER_KEY": base64.b64encode(LOCAL_KEY).decode(),
    }
    with run_server(tmp, "sqlite", extra_env=env) as server:
        yield server, script


@pytest.fixture()
def script(live: tuple[Server, TriggerScript]) -> TriggerScript:
    live[1].reset()
    return live[1]


@pytest.fixture()
def server(live: tuple[Server, TriggerScript]) -> Server:
    return live[0]


def setup(server: Server, config: dict[str, Any], **pool: Any) -> tuple[str, str]:
    pool_id = make_pool(server, LambdaConfig=config, **pool)["Id"]
    return pool_id, make_client(server, pool_id)["ClientId"]


def sign_up(server: Server, client_id: str, username: str, **extra: Any) -> dict[str, Any]:
    return dict(
        server.public().sign_up(
            ClientId=client_id,
            Username=username,
            Password=PASSWORD,
            UserAttributes=extra.pop("UserAttributes", attrs(email=f"{username}@example.com")),
            **extra,
        )
    )


def code_in(text: str) -> str:
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


def no_user(server: Server, pool_id: str, username: str) -> bool:
    with pytest.raises(ClientError) as exc:
        server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    return error(exc)[0] == "UserNotFoundException"


def local_decrypt(code: str) -> str:
    """What a self-hosted function does with request.code (docs/triggers.md, Messages)."""
    key = RawMasterKey(
        provider_id="mamori",
        key_id=b"custom-sender",
        wrapping_key=WrappingKey(
            wrapping_algorithm=WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
            wrapping_key=LOCAL_KEY,
            wrapping_key_type=EncryptionKeyType.SYMMETRIC,
        ),
    )
    plaintext, header = SDK.decrypt(source=base64.b64decode(code), key_provider=key)
    assert header.encryption_context["userpool-id"].startswith(REGION)
    return str(plaintext.decode())


# --- CustomMessage
def test_custom_message_writes_the_sign_up_email(
    server: Server, script: TriggerScript, smtp: Smtp
) -> None:
    _, client_id = setup(server, MESSAGES)
    script.set(
        custom_message={
            "response": {
                "emailSubject": "Welcome to Acme",
                "emailMessage": "<p>Your Acme code is <b>{####}</b>.</p>",
            }
        }
    )
    username = unique()
    address = f"{username}@example.com"
    sign_up(server, client_id, username, ClientMetadata={"lang": "ja"})
    [event] = script.events("custom_message")
    assert event["triggerSource"] == "CustomMessage_SignUp"
    assert event["callerContext"]["clientId"] == client_id
    assert event["request"]["codeParameter"] == "{####}"
    assert event["request"]["usernameParameter"] is None
    assert event["request"]["userAttributes"]["email"] == address
    assert event["request"]["userAttributes"]["cognito:user_status"] == "UNCONFIRMED"
    assert event["request"]["clientMetadata"] == {"lang": "ja"}
    [mail] = smtp.inbox.to(address)
    assert mail["Subject"] == "Welcome to Acme"
    body = body_of(mail)
    assert "Your Acme code is <b>" in body and "{####}" not in body
    server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=code_in(body)
    )
    assert sign_in(server, client_id, username)["AccessToken"]


def test_message_without_the_code_placeholder_is_refused(
    server: Server, script: TriggerScript, smtp: Smtp
) -> None:
    pool_id, client_id = setup(server, MESSAGES)
    script.set(custom_message={"response": {"emailMessage": "Welcome aboard!"}})
    username = unique()
    with pytest.raises(ClientError) as exc:
        sign_up(server, client_id, username)
    code, message = error(exc)
    assert code == "InvalidParameterException"
    assert "at 'emailBody' failed to satisfy constraint" in message
    assert no_user(server, pool_id, username)
    assert smtp.inbox.to(f"{username}@example.com") == []


def test_failing_custom_message_sends_nothing(
    server: Server, script: TriggerScript, smtp: Smtp
) -> None:
    pool_id, client_id = setup(server, MESSAGES)
    script.set(custom_message={"raise": "template store down"})
    username = unique()
    with pytest.raises(ClientError) as exc:
        sign_up(server, client_id, username)
    assert error(exc) == (
        "UserLambdaValidationException",
        "CustomMessage failed with error template store down.",
    )
    assert no_user(server, pool_id, username)
    assert smtp.inbox.to(f"{username}@example.com") == []


def test_a_function_leaving_the_message_out_keeps_the_pools(
    server: Server, script: TriggerScript, smtp: Smtp
) -> None:
    _, client_id = setup(server, MESSAGES, EmailVerificationMessage="Pool code {####}")
    username = unique()
    sign_up(server, client_id, username)
    [mail] = smtp.inbox.to(f"{username}@example.com")
    assert body_of(mail).startswith("Pool code ")


def test_every_code_message_source(server: Server, script: TriggerScript, smtp: Smtp) -> None:
    _, client_id = setup(server, MESSAGES)
    script.set(custom_message={"response": {"emailMessage": "Code {####}"}})
    username = unique()
    address = f"{username}@example.com"
    public = server.public()
    sign_up(server, client_id, username)
    public.resend_confirmation_code(
        ClientId=client_id, Username=username, ClientMetadata={"why": "lost"}
    )
    public.confirm_sign_up(
        ClientId=client_id,
        Username=username,
        ConfirmationCode=code_in(body_of(smtp.inbox.to(address)[-1])),
    )
    public.forgot_password(ClientId=client_id, Username=username)
    tokens = sign_in(server, client_id, username)
    changed = f"new-{username}@example.com"
    public.update_user_attributes(
        AccessToken=tokens["AccessToken"], UserAttributes=attrs(email=changed)
    )
    public.get_user_attribute_verification_code(
        AccessToken=tokens["AccessToken"], AttributeName="email"
    )
    sources = [e["triggerSource"] for e in script.events("custom_message")]
    assert sources == [
        "CustomMessage_SignUp",
        "CustomMessage_ResendCode",
        "CustomMessage_ForgotPassword",
        "CustomMessage_UpdateUserAttribute",
        "CustomMessage_VerifyUserAttribute",
    ]
    assert script.events("custom_message")[1]["request"]["clientMetadata"] == {"why": "lost"}
    # Each message is the function's, its code put in.
    assert all(re.fullmatch(r"Code \d{6}", body_of(m).strip()) for m in smtp.inbox.to(address))
    [verify_mail, *_] = smtp.inbox.to(changed)
    public.verify_user_attribute(
        AccessToken=tokens["AccessToken"],
        AttributeName="email",
        Code=code_in(body_of(smtp.inbox.to(changed)[-1])),
    )
    assert verify_mail


def test_invitation_needs_username_and_password_placeholders(
    server: Server, script: TriggerScript, smtp: Smtp
) -> None:
    pool_id, _ = setup(server, MESSAGES)
    admin = server.admin()
    script.set(custom_message={"response": {"emailMessage": "Welcome, your password: {####}"}})
    refused = unique()
    with pytest.raises(ClientError) as exc:
        admin.admin_create_user(
            UserPoolId=pool_id,
            Username=refused,
            UserAttributes=attrs(email=f"{refused}@example.com"),
            DesiredDeliveryMediums=["EMAIL"],
        )
    assert error(exc)[0] == "InvalidParameterException"
    assert no_user(server, pool_id, refused)
    assert smtp.inbox.to(f"{refused}@example.com") == []
    script.set(
        custom_message={
            "response": {
                "emailSubject": "Your Acme account",
                "emailMessage": "Sign in as {username} with {####}",
            }
        }
    )
    invited = unique()
    admin.admin_create_user(
        UserPoolId=pool_id,
        Username=invited,
        TemporaryPassword="Temp-Passw0rd!",
        UserAttributes=attrs(email=f"{invited}@example.com"),
        DesiredDeliveryMediums=["EMAIL"],
        ClientMetadata={"team": "ops"},
    )
    event = script.events("custom_message")[-1]
    assert event["triggerSource"] == "CustomMessage_AdminCreateUser"
    assert event["request"]["usernameParameter"] == "{username}"
    assert event["request"]["clientMetadata"] == {"team": "ops"}
    [mail] = smtp.inbox.to(f"{invited}@example.com")
    assert mail["Subject"] == "Your Acme account"
    assert body_of(mail).strip() == f"Sign in as {invited} with Temp-Passw0rd!"


def test_sign_in_codes_are_authentication_messages(server: Server, script: TriggerScript) -> None:
    pool_id, client_id = mfa_pool(server, "ON", sms=True, totp=False, LambdaConfig=MESSAGES)
    script.set(custom_message={"response": {"smsMessage": "Acme sign-in: {####}"}})
    phone = "+1555" + str(secrets.randbelow(10**7)).zfill(7)
    username = make_user(
        server, pool_id, attributes={"phone_number": phone, "phone_number_verified": "true"}
    )
    out = server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        ClientMetadata={"device": "kiosk"},
    )
    assert out["ChallengeName"] == "SMS_MFA"
    event = script.events("custom_message")[-1]
    assert event["triggerSource"] == "CustomMessage_Authentication"
    [sms] = server.outbox(pool_id, phone)
    assert re.fullmatch(r"Acme sign-in: \d{6}", sms["body"])
    done = server.public().respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SMS_MFA",
        Session=out["Session"],
        ChallengeResponses={"USERNAME": username, "SMS_MFA_CODE": sms["code"]},
    )
    assert done["AuthenticationResult"]["AccessToken"]


def test_client_metadata_reaches_the_message_of_each_operation(
    server: Server, script: TriggerScript, smtp: Smtp
) -> None:
    pool_id, client_id = setup(server, MESSAGES)
    username = make_user(server, pool_id)
    admin, public = server.admin(), server.public()
    tokens = sign_in(server, client_id, username)
    admin.admin_reset_user_password(
        UserPoolId=pool_id, Username=username, ClientMetadata={"op": "admin-reset"}
    )
    public.update_user_attributes(
        AccessToken=tokens["AccessToken"],
        UserAttributes=attrs(email=f"a-{username}@example.com"),
        ClientMetadata={"op": "update"},
    )
    public.get_user_attribute_verification_code(
        AccessToken=tokens["AccessToken"], AttributeName="email", ClientMetadata={"op": "verify"}
    )
    admin.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=attrs(email=f"b-{username}@example.com"),
        ClientMetadata={"op": "admin-update"},
    )
    seen = [
        (e["triggerSource"], e["callerContext"]["clientId"], e["request"].get("clientMetadata"))
        for e in script.events("custom_message")
    ]
    assert seen == [
        ("CustomMessage_ForgotPassword", "CLIENT_ID_NOT_APPLICABLE", {"op": "admin-reset"}),
        ("CustomMessage_UpdateUserAttribute", client_id, {"op": "update"}),
        ("CustomMessage_VerifyUserAttribute", client_id, {"op": "verify"}),
        ("CustomMessage_UpdateUserAttribute", "CLIENT_ID_NOT_APPLICABLE", {"op": "admin-update"}),
    ]


# --- CustomEmailSender / CustomSMSSender, a local key
def test_custom_email_sender_gets_the_code_encrypted(
    server: Server, script: TriggerScript, smtp: Smtp
) -> None:
    pool_id, client_id = setup(server, SENDERS)
    username = unique()
    address = f"{username}@example.com"
    out = sign_up(server, client_id, username, ClientMetadata={"app": "web"})
    assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    [event] = script.events("custom_email_sender")
    assert event["triggerSource"] == "CustomEmailSender_SignUp"
    assert event["version"] == "1"
    assert event["request"]["type"] == "customEmailSenderRequestV1"
    assert event["request"]["userAttributes"]["email"] == address
    assert event["request"]["clientMetadata"] == {"app": "web"}
    encrypted = event["request"]["code"]
    assert not re.search(r"\b\d{6}\b", encrypted)
    # The function sends it, not mamori.
    assert smtp.inbox.to(address) == []
    assert server.outbox(pool_id, address) == []
    server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=local_decrypt(encrypted)
    )
    assert sign_in(server, client_id, username)["AccessToken"]


@needs_node
def test_a_node_function_decrypts_the_code(server: Server, script: TriggerScript) -> None:
    """The JavaScript side of docs/triggers.md: @aws-crypto's decrypt with a raw AES keyring."""
    pool_id, client_id = setup(server, SENDERS)
    username = unique()
    sign_up(server, client_id, username)
    [event] = script.events("custom_email_sender")
    given = {"key": base64.b64encode(LOCAL_KEY).decode(), "code": event["request"]["code"]}
    out = subprocess.run(
        ["node", "custom_sender_decrypt.mjs", json.dumps(given)],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    decrypted = json.loads(out.stdout)
    assert decrypted["context"]["userpool-id"] == pool_id
    server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=decrypted["code"]
    )
    assert sign_in(server, client_id, username)["AccessToken"]


def test_custom_sender_gets_the_temporary_password(server: Server, script: TriggerScript) -> None:
    pool_id, _ = setup(server, SENDERS)
    username = unique()
    server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword="Temp-Passw0rd!",
        UserAttributes=attrs(email=f"{username}@example.com"),
        DesiredDeliveryMediums=["EMAIL"],
    )
    [event] = script.events("custom_email_sender")
    assert event["triggerSource"] == "CustomEmailSender_AdminCreateUser"
    assert local_decrypt(event["request"]["code"]) == "Temp-Passw0rd!"


def test_custom_sms_sender(server: Server, script: TriggerScript) -> None:
    pool_id, client_id = setup(server, SENDERS, AutoVerifiedAttributes=["phone_number"])
    username = unique()
    phone = "+1555" + str(secrets.randbelow(10**7)).zfill(7)
    out = sign_up(server, client_id, username, UserAttributes=attrs(phone_number=phone))
    assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"
    [event] = script.events("custom_sms_sender")
    assert event["triggerSource"] == "CustomSMSSender_SignUp"
    assert event["request"]["type"] == "customSMSSenderRequestV1"
    assert server.outbox(pool_id, phone) == []
    server.public().confirm_sign_up(
        ClientId=client_id,
        Username=username,
        ConfirmationCode=local_decrypt(event["request"]["code"]),
    )
    user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert as_dict(user["UserAttributes"])["phone_number_verified"] == "true"


def test_failing_custom_sender_leaves_no_user(server: Server, script: TriggerScript) -> None:
    pool_id, client_id = setup(server, SENDERS)
    script.set(custom_email_sender={"raise": "provider down"})
    username = unique()
    with pytest.raises(ClientError) as exc:
        sign_up(server, client_id, username)
    assert error(exc) == (
        "UserLambdaValidationException",
        "CustomEmailSender failed with error provider down.",
    )
    assert no_user(server, pool_id, username)


# --- CustomEmailSender under a KMS key (moto's KMS)
@pytest.fixture(scope="module")
def kms_live(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, TriggerScript, Any, str]]:
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    url = f"http://127.0.0.1:{port}"
    kms = boto3.client(
        "kms",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    key_arn = kms.create_key(Description="custom senders")["KeyMetadata"]["Arn"]
    tmp: Path = tmp_path_factory.mktemp("message-triggers-kms")
    script = TriggerScript(tmp)
    env = {
        **script.env(),
        "MAMORI_KMS_ENDPOINT": url,
        "MAMORI_KMS_ACCESS_KEY_ID": "testing",
        "MAMORI_KMS_SECRET_ACCESS_KEY": "testing",
    }
    try:
        with run_server(tmp, "sqlite", extra_env=env) as server:
            yield server, script, kms, key_arn
    finally:
        moto.stop()


def test_custom_email_sender_code_under_the_pools_kms_key(
    kms_live: tuple[Server, TriggerScript, Any, str],
) -> None:
    server, script, kms, key_arn = kms_live
    script.reset()
    config = lambda_config(CustomEmailSender="custom_email_sender", KMSKeyID=key_arn)
    _, client_id = setup(server, config)
    username = unique()
    sign_up(server, client_id, username)
    [event] = script.events("custom_email_sender")
    # What Cognito's documentation has a function do: the Encryption SDK with a KMS keyring.
    key = KMSMasterKey(config=KMSMasterKeyConfig(key_id=key_arn, client=kms))
    plaintext, _ = SDK.decrypt(source=base64.b64decode(event["request"]["code"]), key_provider=key)
    server.public().confirm_sign_up(
        ClientId=client_id, Username=username, ConfirmationCode=plaintext.decode()
    )
    assert sign_in(server, client_id, username)["AccessToken"]


def test_unknown_kms_key_fails_the_send_and_leaves_no_user(
    kms_live: tuple[Server, TriggerScript, Any, str],
) -> None:
    server, script, _, _ = kms_live
    script.reset()
    config = lambda_config(CustomEmailSender="custom_email_sender", KMSKeyID=KMS_KEY_ARN)
    pool_id, client_id = setup(server, config)
    username = unique()
    with pytest.raises(ClientError) as exc:
        sign_up(server, client_id, username)
    assert error(exc)[0] == "CodeDeliveryFailureException"
    assert no_user(server, pool_id, username)
    assert script.events("custom_email_sender") == []
