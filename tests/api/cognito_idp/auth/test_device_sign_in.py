"""Remembered devices at sign-in: NewDeviceMetadata, DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER,
a remembered device standing in for MFA, REFRESH_TOKEN_AUTH with DEVICE_KEY; with boto3 and
pycognito's SRP math, and amazon-cognito-identity-js doing the whole flow by itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP, generate_hash_device, long_to_hex
from tests.support.factories import PASSWORD, make_client, make_pool, make_user
from tests.support.live import Server
from tests.support.mfa import mfa_pool
from tests.support.node import calls, needs_node, run_node
from tests.support.tokens import unverified

DEVICE_KEY = re.compile(r"us-east-1_[0-9a-f-]{36}")
REMEMBER_ALWAYS = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False}


def fails(call: Any, code: str, message: str | None = None) -> None:
    with pytest.raises(ClientError) as exc:
        call()
    err = exc.value.response["Error"]
    assert err["Code"] == code, err
    if message is not None:
        assert err["Message"] == message, err


def password_auth(
    server: Server, client_id: str, username: str, device_key: str | None = None
) -> dict[str, Any]:
    params = {"USERNAME": username, "PASSWORD": PASSWORD}
    if device_key:
        params["DEVICE_KEY"] = device_key
    return dict(
        server.public().initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
        )
    )


class Device:
    """A device as a client keeps it: its keys and the random password only it knows."""

    def __init__(self, server: Server, metadata: dict[str, str], access_token: str) -> None:
        self.key = metadata["DeviceKey"]
        self.group = metadata["DeviceGroupKey"]
        self.password, config = generate_hash_device(self.group, self.key)
        server.public().confirm_device(
            AccessToken=access_token,
            DeviceKey=self.key,
            DeviceSecretVerifierConfig=config,
            DeviceName="test-device",
        )

    def srp(self, server: Server, pool_id: str, client_id: str, username: str) -> AWSSRP:
        return AWSSRP(
            username=username,
            password=PASSWORD,
            pool_id=pool_id,
            client_id=client_id,
            client=server.public(),
            device_key=self.key,
            device_group_key=self.group,
            device_password=self.password,
        )


def device_answer(
    server: Server, client_id: str, username: str, device: Device, pool_id: str, session: str
) -> dict[str, Any]:
    """DEVICE_SRP_AUTH then DEVICE_PASSWORD_VERIFIER, with the Sessions the server returns."""
    aws = device.srp(server, pool_id, client_id, username)
    public = server.public()
    srp_step = public.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        Session=session,
        ChallengeResponses={
            "USERNAME": username,
            "DEVICE_KEY": device.key,
            "SRP_A": long_to_hex(aws.large_a_value),
        },
    )
    assert srp_step["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    return dict(
        public.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="DEVICE_PASSWORD_VERIFIER",
            Session=srp_step["Session"],
            ChallengeResponses=aws.process_device_challenge(srp_step["ChallengeParameters"]),
        )
    )


@pytest.fixture(scope="module")
def tracked(server: Server) -> tuple[str, str]:
    pool_id = make_pool(server, DeviceConfiguration=REMEMBER_ALWAYS)["Id"]
    return pool_id, str(make_client(server, pool_id)["ClientId"])


def new_device(server: Server, pool_id: str, client_id: str, user: str) -> Device:
    first = password_auth(server, client_id, user)
    result = first["AuthenticationResult"]
    return Device(server, result["NewDeviceMetadata"], result["AccessToken"])


def test_new_device_metadata_only_where_devices_are_tracked(
    server: Server, tracked: tuple[str, str]
) -> None:
    pool_id, client_id = tracked
    user = make_user(server, pool_id)
    result = password_auth(server, client_id, user)["AuthenticationResult"]
    metadata = result["NewDeviceMetadata"]
    assert DEVICE_KEY.fullmatch(metadata["DeviceKey"])
    assert re.fullmatch(r"-[A-Za-z0-9]{9}", metadata["DeviceGroupKey"])
    assert unverified(result["AccessToken"])["device_key"] == metadata["DeviceKey"]
    plain_pool = make_pool(server)["Id"]
    plain_client = make_client(server, plain_pool)["ClientId"]
    other = make_user(server, plain_pool)
    plain = password_auth(server, plain_client, other)["AuthenticationResult"]
    assert "NewDeviceMetadata" not in plain
    assert "device_key" not in unverified(plain["AccessToken"])


def test_a_known_device_proves_itself(server: Server, tracked: tuple[str, str]) -> None:
    pool_id, client_id = tracked
    user = make_user(server, pool_id)
    device = new_device(server, pool_id, client_id, user)
    again = password_auth(server, client_id, user, device.key)
    assert again["ChallengeName"] == "DEVICE_SRP_AUTH"
    done = device_answer(server, client_id, user, device, pool_id, again["Session"])
    result = done["AuthenticationResult"]
    assert "NewDeviceMetadata" not in result
    assert unverified(result["AccessToken"])["device_key"] == device.key
    listed = server.admin().admin_get_device(
        UserPoolId=pool_id, Username=user, DeviceKey=device.key
    )
    assert "DeviceLastAuthenticatedDate" in listed["Device"]


def test_device_proofs_are_checked(server: Server, tracked: tuple[str, str]) -> None:
    pool_id, client_id = tracked
    user = make_user(server, pool_id)
    device = new_device(server, pool_id, client_id, user)
    session = password_auth(server, client_id, user, device.key)["Session"]
    public = server.public()
    aws = device.srp(server, pool_id, client_id, user)
    srp_a = long_to_hex(aws.large_a_value)
    # Another device key than the sign-in named, or no Session: refused.
    other = new_device(server, pool_id, client_id, user)
    fails(
        lambda: public.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            Session=session,
            ChallengeResponses={"USERNAME": user, "DEVICE_KEY": other.key, "SRP_A": srp_a},
        ),
        "NotAuthorizedException",
        "Invalid session for the user.",
    )
    fails(
        lambda: public.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            ChallengeResponses={"USERNAME": user, "DEVICE_KEY": device.key, "SRP_A": srp_a},
        ),
        "InvalidParameterException",
    )
    step = public.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        Session=session,
        ChallengeResponses={"USERNAME": user, "DEVICE_KEY": device.key, "SRP_A": srp_a},
    )
    # A device that doesn't know the device password can't finish.
    impostor = device.srp(server, pool_id, client_id, user)
    impostor.device_password = "not-the-device-password"
    impostor.small_a_value, impostor.large_a_value = aws.small_a_value, aws.large_a_value
    wrong = impostor.process_device_challenge(step["ChallengeParameters"])
    fails(
        lambda: public.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="DEVICE_PASSWORD_VERIFIER",
            Session=step["Session"],
            ChallengeResponses=wrong,
        ),
        "NotAuthorizedException",
    )
    # Each exchange answers once, right or wrong.
    right = aws.process_device_challenge(step["ChallengeParameters"])
    fails(
        lambda: public.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="DEVICE_PASSWORD_VERIFIER",
            Session=step["Session"],
            ChallengeResponses=right,
        ),
        "NotAuthorizedException",
        "Invalid session for the user.",
    )


def test_an_unknown_device_key_is_not_found(server: Server, tracked: tuple[str, str]) -> None:
    """Cognito: the clients forget their device on this error and sign in again without it."""
    pool_id, client_id = tracked
    user = make_user(server, pool_id)
    device = new_device(server, pool_id, client_id, user)
    server.admin().admin_forget_device(UserPoolId=pool_id, Username=user, DeviceKey=device.key)
    fails(
        lambda: password_auth(server, client_id, user, device.key),
        "ResourceNotFoundException",
        "Device does not exist.",
    )
    # Someone else's device is not this user's either.
    other_user = make_user(server, pool_id)
    theirs = new_device(server, pool_id, client_id, other_user)
    fails(lambda: password_auth(server, client_id, user, theirs.key), "ResourceNotFoundException")


def test_refresh_with_device_key(server: Server, tracked: tuple[str, str]) -> None:
    pool_id, client_id = tracked
    user = make_user(server, pool_id)
    first = password_auth(server, client_id, user)["AuthenticationResult"]
    device = Device(server, first["NewDeviceMetadata"], first["AccessToken"])
    public = server.public()

    def refresh(key: str | None) -> dict[str, Any]:
        params = {"REFRESH_TOKEN": first["RefreshToken"]}
        if key is not None:
            params["DEVICE_KEY"] = key
        out = public.initiate_auth(
            ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=params
        )
        return unverified(out["AuthenticationResult"]["AccessToken"])

    assert refresh(device.key)["device_key"] == device.key
    assert "device_key" not in refresh(None)
    assert "device_key" not in refresh("us-east-1_00000000-0000-0000-0000-000000000000")


# --- with MFA
@pytest.fixture(scope="module")
def mfa_tracked(server: Server) -> tuple[str, str]:
    """MFA required (SMS); remembered devices stand in for it."""
    return mfa_pool(server, "ON", DeviceConfiguration=REMEMBER_ALWAYS)


def test_a_remembered_device_skips_mfa(server: Server, mfa_tracked: tuple[str, str]) -> None:
    pool_id, client_id = mfa_tracked
    number = "+15550001234"
    user = make_user(server, pool_id, attributes={"phone_number": number})
    first = password_auth(server, client_id, user)
    assert first["ChallengeName"] == "SMS_MFA"
    done = server.public().respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SMS_MFA",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": user, "SMS_MFA_CODE": server.latest_code(pool_id, number)},
    )["AuthenticationResult"]
    device = Device(server, done["NewDeviceMetadata"], done["AccessToken"])
    again = password_auth(server, client_id, user, device.key)
    assert again["ChallengeName"] == "DEVICE_SRP_AUTH"  # no SMS this time
    assert device_answer(server, client_id, user, device, pool_id, again["Session"])[
        "AuthenticationResult"
    ]["AccessToken"]
    # Not remembered any more: the code is asked for again, and no device proof after it.
    server.admin().admin_update_device_status(
        UserPoolId=pool_id,
        Username=user,
        DeviceKey=device.key,
        DeviceRememberedStatus="not_remembered",
    )
    third = password_auth(server, client_id, user, device.key)
    assert third["ChallengeName"] == "SMS_MFA"
    done = server.public().respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SMS_MFA",
        Session=third["Session"],
        ChallengeResponses={"USERNAME": user, "SMS_MFA_CODE": server.latest_code(pool_id, number)},
    )
    assert done["AuthenticationResult"]["AccessToken"]


def test_devices_stand_in_for_mfa_only_when_the_pool_says_so(server: Server) -> None:
    pool_id, client_id = mfa_pool(
        server, "ON", DeviceConfiguration={"ChallengeRequiredOnNewDevice": False}
    )
    number = "+15550004321"
    user = make_user(server, pool_id, attributes={"phone_number": number})
    first = password_auth(server, client_id, user)
    done = server.public().respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SMS_MFA",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": user, "SMS_MFA_CODE": server.latest_code(pool_id, number)},
    )["AuthenticationResult"]
    device = Device(server, done["NewDeviceMetadata"], done["AccessToken"])
    assert password_auth(server, client_id, user, device.key)["ChallengeName"] == "SMS_MFA"


# --- amazon-cognito-identity-js does it all by itself
@needs_node
def test_cognito_identity_js_remembers_and_uses_its_device(
    server: Server, mfa_tracked: tuple[str, str], tmp_path: Path
) -> None:
    pool_id, client_id = mfa_tracked
    number = "+15550005678"
    user = make_user(server, pool_id, attributes={"phone_number": number})
    config = {
        "endpoint": server.url,
        "userPoolId": pool_id,
        "clientId": client_id,
        "storageFile": str(tmp_path / "storage.json"),
    }
    first = run_node(
        "cognito_identity_js.mjs",
        {
            **config,
            "steps": [
                {
                    "op": "authenticateUser",
                    "username": user,
                    "password": PASSWORD,
                    "codeFromFile": str(tmp_path / "code"),
                    "deviceRemember": True,
                }
            ],
        },
        on_wait=lambda _event: server.latest_code(pool_id, number),
    )["authenticateUser"]
    assert first["result"]["callbacks"] == ["mfaRequired", "onSuccess"]
    key = first["result"]["deviceKey"]
    assert DEVICE_KEY.fullmatch(key)
    assert [c[0] for c in calls(first)][-2:] == ["ConfirmDevice", "UpdateDeviceStatus"]
    # A later run with the same storage: the device signs in instead of an SMS code.
    second = run_node(
        "cognito_identity_js.mjs",
        {
            **config,
            "steps": [
                {"op": "authenticateUser", "username": user, "password": PASSWORD},
                {"op": "refreshSession"},
                {"op": "listDevices"},
            ],
        },
    )
    step = second["authenticateUser"]
    assert step["result"]["callbacks"] == ["onSuccess"]
    assert calls(step) == [
        ("InitiateAuth", "USER_SRP_AUTH"),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
        ("RespondToAuthChallenge", "DEVICE_SRP_AUTH"),
        ("RespondToAuthChallenge", "DEVICE_PASSWORD_VERIFIER"),
    ]
    session = step["result"]["session"]
    assert session["accessTokenPayload"]["device_key"] == key
    refreshed = second["refreshSession"]["result"]
    assert refreshed["accessTokenPayload"]["device_key"] == key
    devices = second["listDevices"]["result"]["Devices"]
    assert [d["DeviceKey"] for d in devices] == [key]


@needs_node
def test_cognito_identity_js_recovers_from_a_forgotten_device(
    server: Server, tracked: tuple[str, str], tmp_path: Path
) -> None:
    pool_id, client_id = tracked
    user = make_user(server, pool_id)
    config = {
        "endpoint": server.url,
        "userPoolId": pool_id,
        "clientId": client_id,
        "storageFile": str(tmp_path / "storage.json"),
    }
    first = run_node(
        "cognito_identity_js.mjs",
        {**config, "steps": [{"op": "authenticateUser", "username": user, "password": PASSWORD}]},
    )
    old = first["authenticateUser"]["result"]["deviceKey"]
    server.admin().admin_forget_device(UserPoolId=pool_id, Username=user, DeviceKey=old)
    second = run_node(
        "cognito_identity_js.mjs",
        {**config, "steps": [{"op": "authenticateUser", "username": user, "password": PASSWORD}]},
    )["authenticateUser"]
    # ResourceNotFound for the forgotten key; the library drops it, retries, gets a new one.
    assert ("RespondToAuthChallenge", "PASSWORD_VERIFIER") in calls(second)
    new = second["result"]["deviceKey"]
    assert new and new != old
