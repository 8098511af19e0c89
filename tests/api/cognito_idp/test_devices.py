"""Remembered devices, boto3 against the live server: ConfirmDevice with a verifier made by
pycognito (as amazon-cognito-identity-js makes it), ListDevices, GetDevice, UpdateDeviceStatus,
ForgetDevice and their Admin* forms (the service calls sign-in uses, in-process:
tests/services/auth/test_devices.py)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import generate_hash_device
from tests.support.cognito import as_dict, error
from tests.support.factories import PASSWORD, make_client, make_pool, make_user
from tests.support.live import Server

ALWAYS = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False}
OPT_IN = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}
UNKNOWN_KEY = "us-east-1_00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def always_pool(server: Server) -> str:
    return str(make_pool(server, DeviceConfiguration=ALWAYS)["Id"])


@pytest.fixture(scope="module")
def opt_in_pool(server: Server) -> str:
    return str(make_pool(server, DeviceConfiguration=OPT_IN)["Id"])


def client_of(server: Server, pool_id: str) -> str:
    return str(make_client(server, pool_id)["ClientId"])


def new_device(server: Server, pool_id: str, username: str) -> tuple[str, str, str]:
    """Signs `username` in; (access token, device key, device group key) of the new device."""
    result = server.public().initiate_auth(
        ClientId=client_of(server, pool_id),
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    # Pools with a DeviceConfiguration hand out a device with every sign-in.
    metadata = result["NewDeviceMetadata"]
    return result["AccessToken"], metadata["DeviceKey"], metadata["DeviceGroupKey"]


def confirmed_device(
    server: Server, pool_id: str, username: str, name: str | None = "laptop"
) -> tuple[str, str, bool]:
    """A device confirmed as amazon-cognito-identity-js does: (access token, key, whether the
    user must still choose to remember it)."""
    token, key, group = new_device(server, pool_id, username)
    _password, config = generate_hash_device(group, key)
    extra = {"DeviceName": name} if name is not None else {}
    out = server.public().confirm_device(
        AccessToken=token, DeviceKey=key, DeviceSecretVerifierConfig=config, **extra
    )
    return token, key, bool(out["UserConfirmationNecessary"])


def attributes(device: dict[str, Any]) -> dict[str, str]:
    return as_dict(device["DeviceAttributes"])


def test_confirm_remembers_the_device_and_lists_it(server: Server, always_pool: str) -> None:
    username = make_user(server, always_pool)
    token, key, necessary = confirmed_device(server, always_pool, username)
    assert necessary is False
    public, admin = server.public(), server.admin()
    (listed,) = public.list_devices(AccessToken=token)["Devices"]
    assert listed["DeviceKey"] == key
    assert attributes(listed) == {
        "device_status": "valid",
        "device_name": "laptop",
        "dev:device_remembered_status": "remembered",
        "last_ip_used": "127.0.0.1",
    }
    for stamp in ("DeviceCreateDate", "DeviceLastModifiedDate", "DeviceLastAuthenticatedDate"):
        assert listed[stamp].year >= 2024
    got = public.get_device(AccessToken=token, DeviceKey=key)["Device"]
    assert got == listed
    admin_got = admin.admin_get_device(UserPoolId=always_pool, Username=username, DeviceKey=key)
    assert admin_got["Device"] == listed
    (admin_listed,) = admin.admin_list_devices(UserPoolId=always_pool, Username=username)["Devices"]
    assert admin_listed == listed


def test_opt_in_pool_leaves_remembering_to_the_user(server: Server, opt_in_pool: str) -> None:
    username = make_user(server, opt_in_pool)
    token, key, necessary = confirmed_device(server, opt_in_pool, username, name=None)
    assert necessary is True
    public, admin = server.public(), server.admin()
    # Cognito: the user's own list has only remembered devices; the administrator sees all.
    assert public.list_devices(AccessToken=token)["Devices"] == []
    (device,) = admin.admin_list_devices(UserPoolId=opt_in_pool, Username=username)["Devices"]
    assert attributes(device)["dev:device_remembered_status"] == "not_remembered"
    assert "device_name" not in attributes(device)
    public.update_device_status(
        AccessToken=token, DeviceKey=key, DeviceRememberedStatus="remembered"
    )
    (device,) = public.list_devices(AccessToken=token)["Devices"]
    assert attributes(device)["dev:device_remembered_status"] == "remembered"
    admin.admin_update_device_status(
        UserPoolId=opt_in_pool,
        Username=username,
        DeviceKey=key,
        DeviceRememberedStatus="not_remembered",
    )
    assert public.list_devices(AccessToken=token)["Devices"] == []
    got = public.get_device(AccessToken=token, DeviceKey=key)["Device"]
    assert attributes(got)["dev:device_remembered_status"] == "not_remembered"


def test_a_device_is_confirmed_once(server: Server, always_pool: str) -> None:
    username = make_user(server, always_pool)
    token, key, group = new_device(server, always_pool, username)
    public = server.public()
    for config in (
        {"PasswordVerifier": "", "Salt": ""},
        {"PasswordVerifier": "not base64!", "Salt": "AAAA"},
        {"PasswordVerifier": "AAAA", "Salt": "AAAA"},  # verifier 0: out of range
    ):
        with pytest.raises(ClientError) as exc:
            public.confirm_device(
                AccessToken=token, DeviceKey=key, DeviceSecretVerifierConfig=config
            )
        assert error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        public.confirm_device(AccessToken=token, DeviceKey=key)
    assert error(exc)[0] == "InvalidParameterException"
    _password, config = generate_hash_device(group, key)
    public.confirm_device(AccessToken=token, DeviceKey=key, DeviceSecretVerifierConfig=config)
    with pytest.raises(ClientError) as exc:
        public.confirm_device(AccessToken=token, DeviceKey=key, DeviceSecretVerifierConfig=config)
    assert error(exc)[0] == "DeviceKeyExistsException"


def test_pagination(server: Server, always_pool: str) -> None:
    username = make_user(server, always_pool)
    keys = sorted(confirmed_device(server, always_pool, username)[1] for _ in range(3))
    admin = server.admin()
    seen: list[str] = []
    token = None
    while True:
        extra = {"PaginationToken": token} if token else {}
        page = admin.admin_list_devices(UserPoolId=always_pool, Username=username, Limit=2, **extra)
        seen += [d["DeviceKey"] for d in page["Devices"]]
        token = page.get("PaginationToken")
        if not token:
            break
    assert seen == keys


def test_forget_device(server: Server, always_pool: str) -> None:
    username = make_user(server, always_pool)
    token, first, _ = confirmed_device(server, always_pool, username)
    token, second, _ = confirmed_device(server, always_pool, username)
    public, admin = server.public(), server.admin()
    public.forget_device(AccessToken=token, DeviceKey=first)
    admin.admin_forget_device(UserPoolId=always_pool, Username=username, DeviceKey=second)
    assert public.list_devices(AccessToken=token)["Devices"] == []
    for call in (
        lambda: public.get_device(AccessToken=token, DeviceKey=first),
        lambda: public.forget_device(AccessToken=token, DeviceKey=first),
        lambda: admin.admin_get_device(UserPoolId=always_pool, Username=username, DeviceKey=second),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc)[0] == "ResourceNotFoundException"


def test_one_users_device_is_nobody_elses(server: Server, always_pool: str) -> None:
    alice, bob = make_user(server, always_pool), make_user(server, always_pool)
    _, key, _ = confirmed_device(server, always_pool, alice)
    bob_token, _, _ = confirmed_device(server, always_pool, bob)
    public, admin = server.public(), server.admin()
    for call in (
        lambda: public.get_device(AccessToken=bob_token, DeviceKey=key),
        lambda: public.forget_device(AccessToken=bob_token, DeviceKey=key),
        lambda: public.update_device_status(
            AccessToken=bob_token, DeviceKey=key, DeviceRememberedStatus="not_remembered"
        ),
        lambda: admin.admin_get_device(UserPoolId=always_pool, Username=bob, DeviceKey=key),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc)[0] == "ResourceNotFoundException"
    got = admin.admin_get_device(UserPoolId=always_pool, Username=alice, DeviceKey=key)
    assert attributes(got["Device"])["dev:device_remembered_status"] == "remembered"


# --- what works without a device
def test_no_devices_yet(server: Server) -> None:
    pool_id = make_pool(server, DeviceConfiguration=ALWAYS)["Id"]
    username = make_user(server, pool_id)
    admin = server.admin()
    assert admin.admin_list_devices(UserPoolId=pool_id, Username=username)["Devices"] == []
    with pytest.raises(ClientError) as exc:
        admin.admin_get_device(UserPoolId=pool_id, Username=username, DeviceKey=UNKNOWN_KEY)
    assert error(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        admin.admin_list_devices(UserPoolId=pool_id, Username="nobody-at-all")
    assert error(exc)[0] == "UserNotFoundException"
    for token in ("AA", "wyg"):  # NUL; not UTF-8
        with pytest.raises(ClientError) as exc:
            admin.admin_list_devices(UserPoolId=pool_id, Username=username, PaginationToken=token)
        assert error(exc) == ("InvalidParameterException", "Invalid pagination token")
    with pytest.raises(ClientError) as exc:
        admin.admin_forget_device(
            UserPoolId="us-east-1_nothere00", Username="x", DeviceKey=UNKNOWN_KEY
        )
    assert error(exc)[0] == "ResourceNotFoundException"


def test_user_operations_need_a_token(server: Server) -> None:
    public = server.public()
    with pytest.raises(ClientError) as exc:
        public.get_device(DeviceKey=UNKNOWN_KEY)
    assert error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        public.list_devices(AccessToken="not.a.token")
    assert error(exc)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as exc:
        public.confirm_device(AccessToken="not.a.token", DeviceKey=UNKNOWN_KEY)
    assert error(exc)[0] == "NotAuthorizedException"
