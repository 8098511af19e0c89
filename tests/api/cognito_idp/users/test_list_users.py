"""ListUsers with boto3 against the live server: filters, paging, AttributesToGet, isolation."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import as_dict, attrs, error
from tests.support.factories import PASSWORD, make_client, make_pool
from tests.support.live import Server

COUNT = 25


def names(users: list[dict[str, Any]]) -> list[str]:
    return sorted(u["Username"] for u in users)


@pytest.fixture(scope="module")
def population(server: Server) -> dict[str, Any]:
    """25 users u00..u24 with varied attributes, states and statuses."""
    pool_id = make_pool(server, AutoVerifiedAttributes=[])["Id"]
    admin = server.admin()
    subs = {}
    for i in range(COUNT):
        username = f"u{i:02d}"
        values = {
            "email": f"{username}@{'example.com' if i % 2 else 'example.org'}",
            "given_name": "Ann" if i % 3 == 0 else "Bob",
            "family_name": 'O"Brien' if i == 7 else f"Family{i}",
            "name": f"Person {i}",
        }
        if i < 5:
            values["phone_number"] = f"+1555000{i:04d}"
        if i == 11:
            values["preferred_username"] = "eleven"
        user = admin.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            UserAttributes=attrs(values),
        )["User"]
        subs[username] = as_dict(user["Attributes"])["sub"]
        if i % 5 != 4:  # u04, u09, ... stay FORCE_CHANGE_PASSWORD
            admin.admin_set_user_password(
                UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
            )
        if i in (2, 3):
            admin.admin_disable_user(UserPoolId=pool_id, Username=username)
    client_id = make_client(server, pool_id)["ClientId"]
    for username in ("v-signed-up-1", "v-signed-up-2"):
        server.public().sign_up(
            ClientId=client_id,
            Username=username,
            Password=PASSWORD,
            UserAttributes=attrs(email=f"{username}@example.net"),
        )
    return {"pool_id": pool_id, "subs": subs}


def list_all(server: Server, pool_id: str, **params: Any) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    token = None
    while True:
        page = server.admin().list_users(
            UserPoolId=pool_id, **params, **({"PaginationToken": token} if token else {})
        )
        users.extend(page["Users"])
        token = page.get("PaginationToken")
        if not token:
            return users


def test_paging_walks_every_user_once(server: Server, population: dict[str, Any]) -> None:
    pool_id = population["pool_id"]
    admin = server.admin()
    seen: list[str] = []
    sizes = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"UserPoolId": pool_id, "Limit": 7}
        if token:
            kwargs["PaginationToken"] = token
        page = admin.list_users(**kwargs)
        sizes.append(len(page["Users"]))
        seen.extend(u["Username"] for u in page["Users"])
        token = page.get("PaginationToken")
        if not token:
            break
    assert sizes == [7, 7, 7, 6]
    assert len(seen) == len(set(seen)) == COUNT + 2
    assert set(seen) == {f"u{i:02d}" for i in range(COUNT)} | {"v-signed-up-1", "v-signed-up-2"}


def test_paginator_and_default_limit(server: Server, population: dict[str, Any]) -> None:
    pool_id = population["pool_id"]
    pages = list(
        server.admin()
        .get_paginator("list_users")
        .paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 10})
    )
    assert [len(p["Users"]) for p in pages] == [10, 10, 7]
    assert len(server.admin().list_users(UserPoolId=pool_id)["Users"]) == COUNT + 2
    assert len(server.admin().list_users(UserPoolId=pool_id, Limit=0)["Users"]) == COUNT + 2


def test_limit_above_60(server: Server, population: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as exc:
        server.admin().list_users(UserPoolId=population["pool_id"], Limit=61)
    assert error(exc)[0] == "InvalidParameterException"


def test_user_shape(server: Server, population: dict[str, Any]) -> None:
    [user] = server.admin().list_users(UserPoolId=population["pool_id"], Filter='username = "u01"')[
        "Users"
    ]
    assert user["Username"] == "u01"
    assert user["Enabled"] is True
    assert user["UserStatus"] == "CONFIRMED"
    assert {"UserCreateDate", "UserLastModifiedDate", "Attributes"} <= set(user)
    assert as_dict(user["Attributes"])["email"] == "u01@example.com"


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('username = "u07"', ["u07"]),
        ('username ^= "u1"', [f"u{i}" for i in range(10, 20)]),
        ('username="u2"', []),
        ('email = "u03@example.com"', ["u03"]),
        ('email ^= "u2"', ["u20", "u21", "u22", "u23", "u24"]),
        ('phone_number ^= "+1555000000"', ["u00", "u01", "u02", "u03", "u04"]),
        ('phone_number = "+15550000003"', ["u03"]),
        ('given_name = "Ann"', [f"u{i:02d}" for i in range(0, COUNT, 3)]),
        ('given_name ^= "An"', [f"u{i:02d}" for i in range(0, COUNT, 3)]),
        ('family_name = "O\\"Brien"', ["u07"]),
        ('family_name ^= "Family2"', ["u02", "u20", "u21", "u22", "u23", "u24"]),
        ('name = "Person 12"', ["u12"]),
        ('preferred_username = "eleven"', ["u11"]),
        ('cognito:user_status = "FORCE_CHANGE_PASSWORD"', ["u04", "u09", "u14", "u19", "u24"]),
        ('cognito:user_status = "unconfirmed"', ["v-signed-up-1", "v-signed-up-2"]),
        ('cognito:user_status ^= "FORCE"', ["u04", "u09", "u14", "u19", "u24"]),
        ('status = "Disabled"', ["u02", "u03"]),
        ('status ^= "Dis"', ["u02", "u03"]),
        ('status = "disabled"', []),
        ('  email   =   "u06@example.org"  ', ["u06"]),
        ("", None),
    ],
)
def test_filters(
    server: Server, population: dict[str, Any], filter_text: str, expected: list[str] | None
) -> None:
    users = list_all(server, population["pool_id"], Filter=filter_text, Limit=4)
    if expected is None:
        assert len(users) == COUNT + 2
    else:
        assert names(users) == sorted(expected)


def test_status_enabled(server: Server, population: dict[str, Any]) -> None:
    users = list_all(server, population["pool_id"], Filter='status = "Enabled"')
    assert len(users) == COUNT + 2 - 2
    assert all(u["Enabled"] for u in users)


def test_sub_filter(server: Server, population: dict[str, Any]) -> None:
    sub = population["subs"]["u13"]
    users = list_all(server, population["pool_id"], Filter=f'sub = "{sub}"')
    assert names(users) == ["u13"]
    users = list_all(server, population["pool_id"], Filter=f'sub ^= "{sub[:8]}"')
    assert "u13" in names(users)


@pytest.mark.parametrize(
    "filter_text",
    [
        'foo = "x"',
        'custom:team = "x"',
        "email = x",
        'email == "x"',
        'email != "x"',
        'email = "x" and name = "y"',
        'email = "unterminated',
        "email",
    ],
)
def test_invalid_filters(server: Server, population: dict[str, Any], filter_text: str) -> None:
    with pytest.raises(ClientError) as exc:
        server.admin().list_users(UserPoolId=population["pool_id"], Filter=filter_text)
    assert error(exc)[0] == "InvalidParameterException"


def test_bad_pagination_token(server: Server, population: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as exc:
        server.admin().list_users(UserPoolId=population["pool_id"], PaginationToken="%%%notbase64")
    assert error(exc)[0] == "InvalidParameterException"


def test_attributes_to_get(server: Server, population: dict[str, Any]) -> None:
    users = list_all(
        server,
        population["pool_id"],
        Filter='username ^= "u0"',
        AttributesToGet=["email", "given_name"],
    )
    assert len(users) == 10
    for user in users:
        assert set(as_dict(user["Attributes"])) == {"email", "given_name"}
        assert "UserStatus" in user
    everything = list_all(server, population["pool_id"], Filter='username = "u00"')
    assert {"sub", "email", "phone_number", "name"} <= set(as_dict(everything[0]["Attributes"]))


def test_other_pools_see_nothing(server: Server, population: dict[str, Any]) -> None:
    other = make_pool(server)["Id"]
    assert server.admin().list_users(UserPoolId=other)["Users"] == []
    for filter_text in ('username = "u01"', 'email ^= "u"', 'status = "Enabled"'):
        assert server.admin().list_users(UserPoolId=other, Filter=filter_text)["Users"] == []
    # A pagination token from pool A lists pool B's users only.
    token = server.admin().list_users(UserPoolId=population["pool_id"], Limit=1)["PaginationToken"]
    page = server.admin().list_users(UserPoolId=other, PaginationToken=token)
    assert page["Users"] == []


def test_unknown_pool(server: Server) -> None:
    with pytest.raises(ClientError) as exc:
        server.admin().list_users(UserPoolId="us-east-1_NoSuchPool")
    assert error(exc)[0] == "ResourceNotFoundException"


def test_case_insensitive_pool_filters_usernames_without_case(server: Server) -> None:
    pool_id = make_pool(server, UsernameConfiguration={"CaseSensitive": False})["Id"]
    admin = server.admin()
    base = f"Mixed-{secrets.token_hex(3)}"
    admin.admin_create_user(UserPoolId=pool_id, Username=base, MessageAction="SUPPRESS")
    for filter_text in (f'username = "{base.lower()}"', f'username ^= "{base[:7].upper()}"'):
        users = admin.list_users(UserPoolId=pool_id, Filter=filter_text)["Users"]
        assert [u["Username"] for u in users] == [base]


def test_listing_follows_changes(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    admin = server.admin()
    admin.admin_create_user(
        UserPoolId=pool_id,
        Username="mover",
        MessageAction="SUPPRESS",
        UserAttributes=attrs(given_name="Before"),
    )
    admin.admin_update_user_attributes(
        UserPoolId=pool_id, Username="mover", UserAttributes=attrs(given_name="After")
    )
    assert admin.list_users(UserPoolId=pool_id, Filter='given_name = "Before"')["Users"] == []
    assert len(admin.list_users(UserPoolId=pool_id, Filter='given_name = "After"')["Users"]) == 1
    admin.admin_delete_user_attributes(
        UserPoolId=pool_id, Username="mover", UserAttributeNames=["given_name"]
    )
    assert admin.list_users(UserPoolId=pool_id, Filter='given_name ^= "A"')["Users"] == []
    admin.admin_delete_user(UserPoolId=pool_id, Username="mover")
    assert admin.list_users(UserPoolId=pool_id)["Users"] == []
