"""Branding: SetUICustomization / GetUICustomization (pool default and per client, logo, CSS
sanitised) and the managed-login branding operations; bodies up to 2 MB for these only."""

from __future__ import annotations

import base64
import json
import secrets
import struct
import zlib
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from tests.support.factories import make_client, make_pool
from tests.support.live import Server
from tests.support.signing import signed_headers

TARGET = "AWSCognitoIdentityProviderService"
CSS = ".submitButton-customizable { background-color: #0972d3; font-size: 14px; }"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def png(padding: int = 0) -> bytes:
    """A 1x1 PNG, optionally with a text chunk of `padding` bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\x00\x00\x00")
    extra = chunk(b"tEXt", b"c\x00" + b"x" * padding) if padding else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


@pytest.fixture()
def pool(server: Server) -> dict[str, Any]:
    pool = make_pool(server)
    domain = f"brand-{secrets.token_hex(4)}"
    server.admin().create_user_pool_domain(UserPoolId=pool["Id"], Domain=domain)
    return pool


def test_ui_customization_default_and_per_client(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    client = make_client(server, pool_id)["ClientId"]
    logo = png()
    default = admin.set_ui_customization(UserPoolId=pool_id, CSS=CSS, ImageFile=logo)[
        "UICustomization"
    ]
    assert default["ClientId"] == "ALL"
    assert default["CSS"] == CSS
    assert default["ImageUrl"] == "data:image/png;base64," + base64.b64encode(logo).decode()
    assert default["CSSVersion"]
    assert default["CreationDate"] == default["LastModifiedDate"]

    # A client without its own settings gets the pool's default.
    got = admin.get_ui_customization(UserPoolId=pool_id, ClientId=client)["UICustomization"]
    assert got["ClientId"] == "ALL" and got["CSS"] == CSS
    assert admin.get_ui_customization(UserPoolId=pool_id)["UICustomization"]["CSS"] == CSS

    own = ".label-customizable { font-weight: 700; }"
    set_own = admin.set_ui_customization(UserPoolId=pool_id, ClientId=client, CSS=own)
    assert set_own["UICustomization"]["ClientId"] == client
    got = admin.get_ui_customization(UserPoolId=pool_id, ClientId=client)["UICustomization"]
    assert got["CSS"] == own and "ImageUrl" not in got  # no fallback to ALL's logo either
    again = admin.set_ui_customization(UserPoolId=pool_id, ClientId="ALL", CSS=own)
    assert again["UICustomization"]["CreationDate"] == default["CreationDate"]
    assert again["UICustomization"]["CSSVersion"] != default["CSSVersion"]


def test_nothing_set_answers_the_pool_and_client(server: Server, pool: dict[str, Any]) -> None:
    got = server.admin().get_ui_customization(UserPoolId=pool["Id"])["UICustomization"]
    assert got == {"UserPoolId": pool["Id"], "ClientId": "ALL"}


def test_ui_customization_needs_a_domain_and_a_known_client(server: Server) -> None:
    admin, bare = server.admin(), make_pool(server)
    with pytest.raises(ClientError) as exc:
        admin.set_ui_customization(UserPoolId=bare["Id"], CSS=CSS)
    assert error(exc) == (
        "InvalidParameterException",
        "There has to be an existing domain associated with this user pool",
    )
    admin.create_user_pool_domain(UserPoolId=bare["Id"], Domain=f"b-{secrets.token_hex(4)}")
    with pytest.raises(ClientError) as exc:
        admin.set_ui_customization(UserPoolId=bare["Id"], ClientId="nosuchclient", CSS=CSS)
    assert error(exc)[0] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "css",
    [
        "@import url(https://evil.example/x.css);",
        ".background-customizable { background-color: url(https://evil.example/t.png); }",
        ".background-customizable { background-color: expression(alert(1)); }",
        ".background-customizable { background-image: none; }",  # not an allowed property
        ".notAClass { color: red; }",
        "body { color: red; }",
        ".banner-customizable { padding: 1px } @media print { x {} }",
        '.legalText-customizable { color: "red"; }',
        ".legalText-customizable { color: \\75rl(x); }",
        ".legalText-customizable { color: red",
    ],
)
def test_css_that_could_load_or_run_anything_is_refused(
    server: Server, pool: dict[str, Any], css: str
) -> None:
    with pytest.raises(ClientError) as exc:
        server.admin().set_ui_customization(UserPoolId=pool["Id"], CSS=css)
    assert error(exc)[0] == "InvalidParameterException"
    assert (
        "CSS" not in server.admin().get_ui_customization(UserPoolId=pool["Id"])["UICustomization"]
    )


def test_logo_must_be_an_image(server: Server, pool: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as exc:
        server.admin().set_ui_customization(UserPoolId=pool["Id"], ImageFile=b"<svg></svg>")
    assert error(exc)[0] == "InvalidParameterException"


SETTINGS = {
    "components": {
        "primaryButton": {"lightMode": {"defaults": {"backgroundColor": "0972d3ff"}}},
        "pageBackground": {"lightMode": {"color": "ffffffff"}, "image": {"enabled": True}},
    },
    "categories": {"global": {"colorSchemeMode": "LIGHT"}},
}


def test_managed_login_branding_lifecycle(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    client = make_client(server, pool_id)["ClientId"]
    logo = png()
    created = admin.create_managed_login_branding(
        UserPoolId=pool_id,
        ClientId=client,
        Settings=SETTINGS,
        Assets=[{"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": logo}],
    )["ManagedLoginBranding"]
    branding_id = created["ManagedLoginBrandingId"]
    assert created["UserPoolId"] == pool_id
    assert created["Settings"] == SETTINGS
    assert created["UseCognitoProvidedValues"] is False
    assert created["Assets"] == [
        {"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": logo}
    ]

    by_id = admin.describe_managed_login_branding(
        UserPoolId=pool_id, ManagedLoginBrandingId=branding_id
    )["ManagedLoginBranding"]
    by_client = admin.describe_managed_login_branding_by_client(
        UserPoolId=pool_id, ClientId=client
    )["ManagedLoginBranding"]
    assert by_id == by_client == created

    with pytest.raises(ClientError) as exc:
        admin.create_managed_login_branding(UserPoolId=pool_id, ClientId=client)
    assert error(exc)[0] == "ManagedLoginBrandingExistsException"

    # Settings given replace the stored ones; Assets left out stay.
    new_settings = {"categories": {"global": {"colorSchemeMode": "DARK"}}}
    updated = admin.update_managed_login_branding(
        UserPoolId=pool_id, ManagedLoginBrandingId=branding_id, Settings=new_settings
    )["ManagedLoginBranding"]
    assert updated["Settings"] == new_settings and updated["Assets"] == created["Assets"]
    reset = admin.update_managed_login_branding(
        UserPoolId=pool_id, ManagedLoginBrandingId=branding_id, UseCognitoProvidedValues=True
    )["ManagedLoginBranding"]
    assert reset["UseCognitoProvidedValues"] is True and reset["Assets"] == []

    admin.delete_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=branding_id)
    with pytest.raises(ClientError) as exc:
        admin.describe_managed_login_branding(
            UserPoolId=pool_id, ManagedLoginBrandingId=branding_id
        )
    assert error(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        admin.describe_managed_login_branding_by_client(UserPoolId=pool_id, ClientId=client)
    assert error(exc)[0] == "ResourceNotFoundException"


def test_managed_login_branding_rules(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    client = make_client(server, pool_id)["ClientId"]
    with pytest.raises(ClientError) as exc:
        admin.create_managed_login_branding(
            UserPoolId=pool_id, ClientId=client, UseCognitoProvidedValues=True, Settings=SETTINGS
        )
    assert error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        admin.create_managed_login_branding(UserPoolId=pool_id, ClientId="nosuchclient")
    assert error(exc)[0] == "ResourceNotFoundException"
    # Another pool cannot read or delete this pool's branding.
    created = admin.create_managed_login_branding(UserPoolId=pool_id, ClientId=client)
    branding_id = created["ManagedLoginBranding"]["ManagedLoginBrandingId"]
    other = make_pool(server)["Id"]
    for call in (admin.describe_managed_login_branding, admin.delete_managed_login_branding):
        with pytest.raises(ClientError) as exc:
            call(UserPoolId=other, ManagedLoginBrandingId=branding_id)
        assert error(exc)[0] == "ResourceNotFoundException"


def test_branding_operations_take_two_megabytes_and_no_more(
    server: Server, pool: dict[str, Any]
) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    client = make_client(server, pool_id)["ClientId"]
    # Two 700 KB assets: about 1.9 MB of JSON, over the 1 MiB every other operation allows.
    big = png(700_000)
    assets = [
        {"Category": "PAGE_BACKGROUND", "ColorMode": mode, "Extension": "PNG", "Bytes": big}
        for mode in ("LIGHT", "DARK")
    ]
    created = admin.create_managed_login_branding(
        UserPoolId=pool_id, ClientId=client, Assets=assets
    )["ManagedLoginBranding"]
    assert [a["Bytes"] for a in created["Assets"]] == [big, big]

    # Over 2 MB: refused before the body is read (httpx reads an answer sent early).
    three = [*assets, {**assets[0], "ColorMode": "DYNAMIC"}]
    update = {
        "UserPoolId": pool_id,
        "ManagedLoginBrandingId": created["ManagedLoginBrandingId"],
        "Assets": [{**a, "Bytes": base64.b64encode(a["Bytes"]).decode()} for a in three],
    }
    response = signed_call(server, "UpdateManagedLoginBranding", update)
    assert response.status_code == 413
    assert response.json()["__type"] == "RequestEntityTooLargeException"

    # Other operations keep max_body_bytes (1 MiB).
    response = signed_call(
        server, "DescribeUserPool", {"UserPoolId": pool_id, "X": "x" * 1_100_000}
    )
    assert response.status_code == 413
    assert str(1024 * 1024) in response.json()["message"]
    # A second X-Amz-Target cannot borrow the branding limit for another operation.
    body = json.dumps({"UserPoolId": pool_id, "X": "x" * 1_100_000}).encode()
    response = httpx.post(
        server.url + "/",
        content=body,
        headers=[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", f"{TARGET}.SetUICustomization"),
            ("X-Amz-Target", f"{TARGET}.DescribeUserPool"),
        ],
        timeout=30,
    )
    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"


def signed_call(server: Server, operation: str, params: dict[str, Any]) -> httpx.Response:
    body = json.dumps(params).encode()
    headers = signed_headers(
        server.url, operation, body, server.access_key_id, server.secret_access_key
    )
    return httpx.post(server.url + "/", content=body, headers=headers, timeout=30)
