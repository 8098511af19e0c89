"""Groups and membership with boto3 against the live server."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from tests.support.cognito import error, unique
from tests.support.factories import make_pool, make_user
from tests.support.live import Server

ROLE = "arn:aws:iam::123456789012:role/readers"
OTHER_ROLE = "arn:aws:iam::123456789012:role/writers"


@pytest.fixture(scope="module")
def pool_id(server: Server) -> str:
    return str(make_pool(server)["Id"])


def walk(call: Any, key: str, **params: Any) -> tuple[list[Any], list[int]]:
    items: list[Any] = []
    sizes = []
    token = None
    while True:
        page = call(**params, **({"NextToken": token} if token else {}))
        items.extend(page[key])
        sizes.append(len(page[key]))
        token = page.get("NextToken")
        if not token:
            return items, sizes


def test_group_lifecycle(server: Server, pool_id: str) -> None:
    admin = server.admin()
    name = unique("group")
    created = admin.create_group(
        UserPoolId=pool_id, GroupName=name, Description="Readers", RoleArn=ROLE, Precedence=3
    )["Group"]
    assert created["GroupName"] == name
    assert created["UserPoolId"] == pool_id
    assert (created["Description"], created["RoleArn"], created["Precedence"]) == (
        "Readers",
        ROLE,
        3,
    )
    assert {"CreationDate", "LastModifiedDate"} <= set(created)
    got = admin.get_group(UserPoolId=pool_id, GroupName=name)["Group"]
    assert got == created

    with pytest.raises(ClientError) as exc:
        admin.create_group(UserPoolId=pool_id, GroupName=name)
    assert error(exc)[0] == "GroupExistsException"

    updated = admin.update_group(
        UserPoolId=pool_id, GroupName=name, RoleArn=OTHER_ROLE, Precedence=1
    )["Group"]
    assert (updated["Description"], updated["RoleArn"], updated["Precedence"]) == (
        "Readers",
        OTHER_ROLE,
        1,
    )
    assert admin.get_group(UserPoolId=pool_id, GroupName=name)["Group"]["RoleArn"] == OTHER_ROLE

    admin.delete_group(UserPoolId=pool_id, GroupName=name)
    for call in (
        lambda: admin.get_group(UserPoolId=pool_id, GroupName=name),
        lambda: admin.delete_group(UserPoolId=pool_id, GroupName=name),
        lambda: admin.update_group(UserPoolId=pool_id, GroupName=name, Description="x"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc) == ("ResourceNotFoundException", "Group not found.")
    # The name is free again.
    admin.create_group(UserPoolId=pool_id, GroupName=name)


def test_minimal_group(server: Server, pool_id: str) -> None:
    admin = server.admin()
    name = unique("plain")
    group = admin.create_group(UserPoolId=pool_id, GroupName=name)["Group"]
    assert not {"Description", "RoleArn", "Precedence"} & set(group)


def unchecked(server: Server) -> Any:
    """An admin client that sends what it is given: the server must validate."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )


def test_invalid_group_parameters(server: Server, pool_id: str) -> None:
    admin = unchecked(server)
    for params in (
        {"GroupName": "has space"},
        {"GroupName": "x" * 129},
        {"GroupName": ""},
        {"GroupName": unique("g"), "RoleArn": "not-an-arn"},
        {"GroupName": unique("g"), "RoleArn": "arn:aws:iam::123456789012:role/x y"},
        {"GroupName": unique("g"), "Precedence": -1},
        {"GroupName": unique("g"), "Description": "d" * 2049},
    ):
        with pytest.raises(ClientError) as exc:
            admin.create_group(UserPoolId=pool_id, **params)
        assert error(exc)[0] == "InvalidParameterException", params
    assert all(
        g["GroupName"] != "has space"
        for g in server.admin().list_groups(UserPoolId=pool_id)["Groups"]
    )


def test_groups_in_unknown_pool(server: Server) -> None:
    with pytest.raises(ClientError) as exc:
        server.admin().create_group(UserPoolId="us-east-1_NoSuchPool", GroupName="g")
    assert error(exc)[0] == "ResourceNotFoundException"


def test_list_groups_pages(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    admin = server.admin()
    created = {f"g{i:02d}" for i in range(13)}
    for name in created:
        admin.create_group(UserPoolId=pool_id, GroupName=name)
    groups, sizes = walk(admin.list_groups, "Groups", UserPoolId=pool_id, Limit=5)
    assert sizes == [5, 5, 3]
    assert [g["GroupName"] for g in groups] == sorted(created)
    assert len(admin.list_groups(UserPoolId=pool_id)["Groups"]) == 13
    pages = admin.get_paginator("list_groups").paginate(
        UserPoolId=pool_id, PaginationConfig={"PageSize": 6}
    )
    assert [len(p["Groups"]) for p in pages] == [6, 6, 1]
    other = make_pool(server)["Id"]
    assert admin.list_groups(UserPoolId=other)["Groups"] == []


def test_membership(server: Server, pool_id: str) -> None:
    admin = server.admin()
    readers, writers = unique("readers"), unique("writers")
    admin.create_group(UserPoolId=pool_id, GroupName=readers, RoleArn=ROLE, Precedence=2)
    admin.create_group(UserPoolId=pool_id, GroupName=writers, Precedence=1)
    alice, bob = make_user(server, pool_id), make_user(server, pool_id)
    admin.admin_add_user_to_group(UserPoolId=pool_id, Username=alice, GroupName=readers)
    admin.admin_add_user_to_group(UserPoolId=pool_id, Username=alice, GroupName=writers)
    admin.admin_add_user_to_group(UserPoolId=pool_id, Username=bob, GroupName=readers)
    # Adding again is not an error.
    admin.admin_add_user_to_group(UserPoolId=pool_id, Username=bob, GroupName=readers)

    groups = admin.admin_list_groups_for_user(UserPoolId=pool_id, Username=alice)["Groups"]
    assert {g["GroupName"]: g.get("Precedence") for g in groups} == {readers: 2, writers: 1}
    assert {g["GroupName"]: g.get("RoleArn") for g in groups}[readers] == ROLE

    members = admin.list_users_in_group(UserPoolId=pool_id, GroupName=readers)["Users"]
    assert sorted(u["Username"] for u in members) == sorted([alice, bob])
    assert all(u["UserStatus"] == "CONFIRMED" and u["Attributes"] for u in members)

    admin.admin_remove_user_from_group(UserPoolId=pool_id, Username=alice, GroupName=readers)
    groups = admin.admin_list_groups_for_user(UserPoolId=pool_id, Username=alice)["Groups"]
    assert [g["GroupName"] for g in groups] == [writers]
    members = admin.list_users_in_group(UserPoolId=pool_id, GroupName=readers)["Users"]
    assert [u["Username"] for u in members] == [bob]
    # Removing a non-member is not an error either.
    admin.admin_remove_user_from_group(UserPoolId=pool_id, Username=alice, GroupName=readers)


def test_membership_errors(server: Server, pool_id: str) -> None:
    admin = server.admin()
    group = unique("group")
    admin.create_group(UserPoolId=pool_id, GroupName=group)
    user = make_user(server, pool_id)
    for call in (
        lambda: admin.admin_add_user_to_group(UserPoolId=pool_id, Username=user, GroupName="nope"),
        lambda: admin.admin_remove_user_from_group(
            UserPoolId=pool_id, Username=user, GroupName="nope"
        ),
        lambda: admin.list_users_in_group(UserPoolId=pool_id, GroupName="nope"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc)[0] == "ResourceNotFoundException"
    for call in (
        lambda: admin.admin_add_user_to_group(
            UserPoolId=pool_id, Username="nobody", GroupName=group
        ),
        lambda: admin.admin_remove_user_from_group(
            UserPoolId=pool_id, Username="nobody", GroupName=group
        ),
        lambda: admin.admin_list_groups_for_user(UserPoolId=pool_id, Username="nobody"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc)[0] == "UserNotFoundException"


def test_groups_are_per_pool(server: Server, pool_id: str) -> None:
    admin = server.admin()
    other = make_pool(server)["Id"]
    group = unique("shared-name")
    admin.create_group(UserPoolId=pool_id, GroupName=group, Description="here")
    admin.create_group(UserPoolId=other, GroupName=group, Description="there")
    assert admin.get_group(UserPoolId=other, GroupName=group)["Group"]["Description"] == "there"
    user = make_user(server, pool_id)
    with pytest.raises(ClientError) as exc:
        admin.admin_add_user_to_group(UserPoolId=other, Username=user, GroupName=group)
    assert error(exc)[0] == "UserNotFoundException"
    admin.admin_add_user_to_group(UserPoolId=pool_id, Username=user, GroupName=group)
    assert admin.list_users_in_group(UserPoolId=other, GroupName=group)["Users"] == []
    admin.delete_group(UserPoolId=other, GroupName=group)
    members = admin.list_users_in_group(UserPoolId=pool_id, GroupName=group)["Users"]
    assert [u["Username"] for u in members] == [user]


def test_paging_members_and_memberships(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    admin = server.admin()
    admin.create_group(UserPoolId=pool_id, GroupName="crowd")
    users = [make_user(server, pool_id, username=f"m{i:02d}") for i in range(8)]
    for username in users:
        admin.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName="crowd")
    members, sizes = walk(
        admin.list_users_in_group, "Users", UserPoolId=pool_id, GroupName="crowd", Limit=3
    )
    assert sizes == [3, 3, 2]
    assert [u["Username"] for u in members] == users

    for i in range(7):
        admin.create_group(UserPoolId=pool_id, GroupName=f"team-{i}")
        admin.admin_add_user_to_group(UserPoolId=pool_id, Username="m00", GroupName=f"team-{i}")
    groups, sizes = walk(
        admin.admin_list_groups_for_user, "Groups", UserPoolId=pool_id, Username="m00", Limit=4
    )
    assert sizes == [4, 4]
    assert sorted(g["GroupName"] for g in groups) == sorted(
        ["crowd"] + [f"team-{i}" for i in range(7)]
    )


def test_deleting_a_user_or_group_removes_memberships(server: Server) -> None:
    pool_id = make_pool(server)["Id"]
    admin = server.admin()
    admin.create_group(UserPoolId=pool_id, GroupName="club")
    admin.create_group(UserPoolId=pool_id, GroupName="society")
    username = make_user(server, pool_id)
    for group in ("club", "society"):
        admin.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    admin.admin_delete_user(UserPoolId=pool_id, Username=username)
    assert admin.list_users_in_group(UserPoolId=pool_id, GroupName="club")["Users"] == []
    # A new user with the same name starts with no groups.
    make_user(server, pool_id, username=username)
    assert admin.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)["Groups"] == []
    admin.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName="club")
    admin.delete_group(UserPoolId=pool_id, GroupName="club")
    admin.create_group(UserPoolId=pool_id, GroupName="club")
    assert admin.list_users_in_group(UserPoolId=pool_id, GroupName="club")["Users"] == []
    groups = admin.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)["Groups"]
    assert groups == []
