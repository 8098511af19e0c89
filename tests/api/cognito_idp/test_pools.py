"""User pools: create, describe, update, delete, list, custom attributes, with boto3."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from tests.support.factories import make_pool
from tests.support.live import Server

STANDARD = [
    "sub",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
]


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def unvalidated(server: Server) -> Any:
    """An admin client that sends what it is given: the server must do the validating."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


def unique(prefix: str = "pool") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def all_pools(server: Server) -> list[dict[str, Any]]:
    admin, pools, token = server.admin(), [], None
    while True:
        page = admin.list_user_pools(MaxResults=60, **({"NextToken": token} if token else {}))
        pools += page["UserPools"]
        token = page.get("NextToken")
        if not token:
            return pools


def assert_no_pool_named(server: Server, name: str) -> None:
    assert name not in {p["Name"] for p in all_pools(server)}


def schema(pool: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["Name"]: a for a in pool["SchemaAttributes"]}


FULL = {
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 12,
            "RequireUppercase": True,
            "RequireLowercase": False,
            "RequireNumbers": True,
            "RequireSymbols": False,
            "TemporaryPasswordValidityDays": 3,
        }
    },
    "Schema": [
        {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
        {
            "Name": "tier",
            "AttributeDataType": "String",
            "Mutable": True,
            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "10"},
        },
        {
            "Name": "level",
            "AttributeDataType": "Number",
            "Mutable": False,
            "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "99"},
        },
        {"Name": "internal", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
    ],
    "UsernameAttributes": ["email"],
    "UsernameConfiguration": {"CaseSensitive": False},
    "AutoVerifiedAttributes": ["email"],
    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
    "AdminCreateUserConfig": {
        "AllowAdminCreateUserOnly": True,
        "InviteMessageTemplate": {
            "EmailSubject": "Welcome",
            "EmailMessage": "Hello {username}, your code is {####}",
        },
    },
    "UserPoolTags": {"team": "identity", "env": "test"},
    "DeletionProtection": "INACTIVE",
}


@pytest.fixture(scope="module")
def full_pool(server: Server) -> dict[str, Any]:
    return make_pool(server, PoolName=unique("full"), **FULL)


def test_create_returns_the_pool_as_botocore_parses_it(
    server: Server, full_pool: dict[str, Any]
) -> None:
    pool = full_pool
    assert re.fullmatch(r"us-east-1_[0-9A-Za-z]{9}", pool["Id"])
    assert pool["Arn"] == f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{pool['Id']}"
    assert isinstance(pool["CreationDate"], datetime)
    assert isinstance(pool["LastModifiedDate"], datetime)
    assert pool["EstimatedNumberOfUsers"] == 0
    assert pool["Policies"]["PasswordPolicy"] == FULL["Policies"]["PasswordPolicy"]
    assert pool["UsernameAttributes"] == ["email"]
    assert "AliasAttributes" not in pool
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["AccountRecoverySetting"] == FULL["AccountRecoverySetting"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["AdminCreateUserConfig"]["InviteMessageTemplate"] == {
        "EmailSubject": "Welcome",
        "EmailMessage": "Hello {username}, your code is {####}",
    }
    assert pool["UserPoolTags"] == {"team": "identity", "env": "test"}
    assert pool["DeletionProtection"] == "INACTIVE"
    assert pool["MfaConfiguration"] == "OFF"


def test_schema_has_standard_and_custom_attributes(full_pool: dict[str, Any]) -> None:
    attrs = schema(full_pool)
    assert [a["Name"] for a in full_pool["SchemaAttributes"]][: len(STANDARD)] == STANDARD
    assert attrs["sub"]["Mutable"] is False and attrs["sub"]["Required"] is True
    assert attrs["email"]["Required"] is True
    assert attrs["name"]["Required"] is False
    assert attrs["email_verified"]["AttributeDataType"] == "Boolean"
    assert attrs["birthdate"]["StringAttributeConstraints"] == {
        "MinLength": "10",
        "MaxLength": "10",
    }
    # Custom attributes get the custom: prefix; developer-only ones dev:custom:.
    assert "tier" not in attrs and "level" not in attrs
    assert attrs["custom:tier"] == {
        "Name": "custom:tier",
        "AttributeDataType": "String",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
        "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "10"},
    }
    assert attrs["custom:level"]["AttributeDataType"] == "Number"
    assert attrs["custom:level"]["Mutable"] is False
    assert attrs["custom:level"]["NumberAttributeConstraints"] == {
        "MinValue": "0",
        "MaxValue": "99",
    }
    assert attrs["dev:custom:internal"]["DeveloperOnlyAttribute"] is True


def test_describe_matches_create(server: Server, full_pool: dict[str, Any]) -> None:
    described = server.admin().describe_user_pool(UserPoolId=full_pool["Id"])["UserPool"]
    assert described == full_pool


def test_defaults_without_settings(server: Server) -> None:
    pool = server.admin().create_user_pool(PoolName=unique())["UserPool"]
    assert pool["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 8,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 7,
    }
    # Cognito: a pool created through the API without UsernameConfiguration is case sensitive.
    assert pool["UsernameConfiguration"] == {"CaseSensitive": True}
    assert pool["DeletionProtection"] == "INACTIVE"
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    assert pool["AutoVerifiedAttributes"] == []
    assert pool["UserPoolTags"] == {}
    assert [a["Name"] for a in pool["SchemaAttributes"]][: len(STANDARD)] == STANDARD
    assert not [a for a in pool["SchemaAttributes"] if a["Name"].startswith("custom:")]


def test_given_password_policy_leaves_out_requirements(server: Server) -> None:
    pool = make_pool(server, Policies={"PasswordPolicy": {"MinimumLength": 6}})
    assert pool["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 6,
        "RequireUppercase": False,
        "RequireLowercase": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
        "TemporaryPasswordValidityDays": 7,
    }


def test_alias_attributes(server: Server) -> None:
    pool = make_pool(server, AliasAttributes=["email", "preferred_username"])
    assert pool["AliasAttributes"] == ["email", "preferred_username"]
    assert "UsernameAttributes" not in pool


@pytest.mark.parametrize(
    ("overrides", "code", "needle"),
    [
        (
            {"UsernameAttributes": ["email"], "AliasAttributes": ["phone_number"]},
            "InvalidParameterException",
            "Only one of aliasAttributes or usernameAttributes",
        ),
        (
            {"Schema": [{"Name": "x", "AttributeDataType": "String", "Required": True}]},
            "InvalidParameterException",
            "Required custom attributes are not supported currently.",
        ),
        (
            {
                "Schema": [
                    {
                        "Name": "x",
                        "AttributeDataType": "String",
                        "StringAttributeConstraints": {"MinLength": "five"},
                    }
                ]
            },
            "InvalidParameterException",
            "StringAttributeConstraints.MinLength",
        ),
        (
            {
                "Schema": [
                    {
                        "Name": "x",
                        "AttributeDataType": "Number",
                        "NumberAttributeConstraints": {"MinValue": "10", "MaxValue": "2"},
                    }
                ]
            },
            "InvalidParameterException",
            "user.custom:x: Max value cannot be less than min value.",
        ),
        (
            {
                "Schema": [
                    {"Name": "x", "AttributeDataType": "String"},
                    {"Name": "x", "AttributeDataType": "Number"},
                ]
            },
            "InvalidParameterException",
            "custom:x: Existing attribute already has name custom:x.",
        ),
        # Cognito's schema rules, in its words (item 12 of issue 9).
        (
            {"Schema": [{"Name": "x"}]},
            "InvalidParameterException",
            "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.",
        ),
        (
            {"Schema": [{"Name": "email", "AttributeDataType": "Number"}]},
            "InvalidParameterException",
            "You can not change AttributeDataType or set developerOnlyAttribute for standard "
            "schema attribute email",
        ),
        (
            {"Schema": [{"Name": "phone_number", "DeveloperOnlyAttribute": True}]},
            "InvalidParameterException",
            "You can not change AttributeDataType or set developerOnlyAttribute for standard "
            "schema attribute phone_number",
        ),
        (
            {
                "Schema": [
                    {
                        "Name": "email",
                        "AttributeDataType": "String",
                        "StringAttributeConstraints": {"MaxLength": "2049"},
                    }
                ]
            },
            "InvalidParameterException",
            "user.email: String attributes cannot have a length of more than 2048",
        ),
        (
            {
                "Schema": [
                    {
                        "Name": "notes",
                        "AttributeDataType": "String",
                        "StringAttributeConstraints": {"MinLength": "4096"},
                    }
                ]
            },
            "InvalidParameterException",
            "user.custom:notes: String attributes cannot have a length of more than 2048",
        ),
        (
            {
                "Schema": [
                    {
                        "Name": "email",
                        "AttributeDataType": "String",
                        "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "1"},
                    }
                ]
            },
            "InvalidParameterException",
            "user.email: Max length cannot be less than min length.",
        ),
        (
            {
                "Schema": [
                    {
                        "Name": "updated_at",
                        "AttributeDataType": "Number",
                        "NumberAttributeConstraints": {"MinValue": "2", "MaxValue": "1"},
                    }
                ]
            },
            "InvalidParameterException",
            "user.updated_at: Max value cannot be less than min value.",
        ),
        (
            {"Schema": [{"Name": "x", "AttributeDataType": "Text"}]},
            "InvalidParameterException",
            "attributeDataType",
        ),
        (
            {"Schema": [{"Name": "a-name-longer-than-20", "AttributeDataType": "String"}]},
            "InvalidParameterException",
            "schema.1.member.name",
        ),
        (
            {"Policies": {"PasswordPolicy": {"MinimumLength": 5}}},
            "InvalidParameterException",
            "minimumLength",
        ),
        (
            {"AutoVerifiedAttributes": ["name"]},
            "InvalidParameterException",
            "autoVerifiedAttributes",
        ),
        (
            {
                "AccountRecoverySetting": {
                    "RecoveryMechanisms": [
                        {"Name": "admin_only", "Priority": 1},
                        {"Name": "verified_email", "Priority": 2},
                    ]
                }
            },
            "InvalidParameterException",
            "admin_only",
        ),
        (
            {
                "Policies": {"PasswordPolicy": {"TemporaryPasswordValidityDays": 3}},
                "AdminCreateUserConfig": {"UnusedAccountValidityDays": 3},
            },
            "InvalidParameterException",
            "Please use TemporaryPasswordValidityDays",
        ),
        (
            {"UserPoolTags": {"aws:owner": "me"}},
            "InvalidParameterException",
            "aws:",
        ),
        (
            {"UsernameConfiguration": {"CaseSensitive": "no"}},
            "SerializationException",
            "UsernameConfiguration.CaseSensitive",
        ),
    ],
)
def test_invalid_settings_are_refused_and_create_nothing(
    server: Server, overrides: dict[str, Any], code: str, needle: str
) -> None:
    name = unique("invalid")
    with pytest.raises(ClientError) as exc:
        unvalidated(server).create_user_pool(PoolName=name, **overrides)
    assert error(exc)[0] == code
    assert needle in error(exc)[1]
    assert_no_pool_named(server, name)


def test_update_resets_omitted_settings_and_keeps_fixed_ones(server: Server) -> None:
    admin = server.admin()
    pool = make_pool(server, PoolName=unique("upd"), **{**FULL, "DeletionProtection": "ACTIVE"})
    admin.update_user_pool(UserPoolId=pool["Id"], AutoVerifiedAttributes=["email"])
    after = admin.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    # Cognito: everything the request leaves out returns to its default...
    assert after["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    assert after["Policies"]["PasswordPolicy"]["RequireSymbols"] is True
    assert after["DeletionProtection"] == "INACTIVE"
    assert after["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    assert "InviteMessageTemplate" not in after["AdminCreateUserConfig"]
    assert "AccountRecoverySetting" not in after
    # ...while what is fixed at creation stays, and the name and tags stay unless given.
    assert after["SchemaAttributes"] == pool["SchemaAttributes"]
    assert after["UsernameAttributes"] == ["email"]
    assert after["UsernameConfiguration"] == {"CaseSensitive": False}
    assert after["Name"] == pool["Name"]
    assert after["UserPoolTags"] == pool["UserPoolTags"]
    assert after["Id"] == pool["Id"]
    assert after["CreationDate"] == pool["CreationDate"]
    assert after["LastModifiedDate"] >= pool["LastModifiedDate"]


def test_update_renames_and_retags(server: Server) -> None:
    admin = server.admin()
    pool = make_pool(server, UserPoolTags={"a": "1", "b": "2"})
    new_name = unique("renamed")
    admin.update_user_pool(UserPoolId=pool["Id"], PoolName=new_name, UserPoolTags={"c": "3"})
    after = admin.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert after["Name"] == new_name
    assert after["UserPoolTags"] == {"c": "3"}


def test_update_refuses_invalid_settings_and_changes_nothing(server: Server) -> None:
    admin = server.admin()
    pool = make_pool(server, AutoVerifiedAttributes=["email"])
    with pytest.raises(ClientError) as exc:
        admin.update_user_pool(
            UserPoolId=pool["Id"],
            AccountRecoverySetting={
                "RecoveryMechanisms": [
                    {"Name": "verified_email", "Priority": 1},
                    {"Name": "verified_email", "Priority": 2},
                ]
            },
        )
    assert error(exc)[0] == "InvalidParameterException"
    assert admin.describe_user_pool(UserPoolId=pool["Id"])["UserPool"] == {
        **pool,
        "EstimatedNumberOfUsers": 0,
    }


def test_deletion_protection(server: Server) -> None:
    admin = server.admin()
    pool = make_pool(server, DeletionProtection="ACTIVE")
    assert pool["DeletionProtection"] == "ACTIVE"
    with pytest.raises(ClientError) as exc:
        admin.delete_user_pool(UserPoolId=pool["Id"])
    code, message = error(exc)
    assert code == "InvalidParameterException"
    assert "deletion protection" in message
    assert admin.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Id"] == pool["Id"]
    admin.update_user_pool(UserPoolId=pool["Id"], DeletionProtection="INACTIVE")
    admin.delete_user_pool(UserPoolId=pool["Id"])
    with pytest.raises(ClientError) as exc:
        admin.describe_user_pool(UserPoolId=pool["Id"])
    assert error(exc) == ("ResourceNotFoundException", f"User pool {pool['Id']} does not exist.")
    assert pool["Id"] not in {p["Id"] for p in all_pools(server)}


def test_delete_removes_the_pools_clients_and_users(server: Server) -> None:
    admin = server.admin()
    pool = make_pool(server)
    client = admin.create_user_pool_client(UserPoolId=pool["Id"], ClientName="c")
    admin.admin_create_user(UserPoolId=pool["Id"], Username="gone", MessageAction="SUPPRESS")
    admin.delete_user_pool(UserPoolId=pool["Id"])
    with pytest.raises(ClientError) as exc:
        server.public().initiate_auth(
            ClientId=client["UserPoolClient"]["ClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "gone", "PASSWORD": "x"},
        )
    assert error(exc)[0] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "call",
    [
        lambda a, pid: a.describe_user_pool(UserPoolId=pid),
        lambda a, pid: a.update_user_pool(UserPoolId=pid),
        lambda a, pid: a.delete_user_pool(UserPoolId=pid),
        lambda a, pid: a.add_custom_attributes(
            UserPoolId=pid, CustomAttributes=[{"Name": "x", "AttributeDataType": "String"}]
        ),
        lambda a, pid: a.list_user_pool_clients(UserPoolId=pid),
    ],
)
def test_unknown_pool_is_resource_not_found(server: Server, call: Any) -> None:
    pool_id = "us-east-1_" + secrets.token_hex(5)[:9]
    with pytest.raises(ClientError) as exc:
        call(server.admin(), pool_id)
    assert error(exc) == ("ResourceNotFoundException", f"User pool {pool_id} does not exist.")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_list_user_pools_pages(server: Server) -> None:
    admin = server.admin()
    mine = {make_pool(server, PoolName=unique("page"))["Id"] for _ in range(3)}
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = admin.list_user_pools(MaxResults=2, **({"NextToken": token} if token else {}))
        pages += 1
        assert len(page["UserPools"]) <= 2
        for summary in page["UserPools"]:
            assert set(summary) >= {"Id", "Name", "CreationDate", "LastModifiedDate"}
            assert isinstance(summary["CreationDate"], datetime)
        seen += [p["Id"] for p in page["UserPools"]]
        token = page.get("NextToken")
        if not token:
            break
    assert pages >= 2
    assert len(seen) == len(set(seen))
    assert mine <= set(seen)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"MaxResults": 0}, "InvalidParameterException"),
        ({"MaxResults": 61}, "InvalidParameterException"),
        ({"MaxResults": 10, "NextToken": "%%%not-a-token%%%"}, "InvalidParameterException"),
    ],
)
def test_list_user_pools_bad_paging(server: Server, params: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as exc:
        unvalidated(server).list_user_pools(**params)
    assert error(exc)[0] == code


def test_standard_attribute_without_data_type_keeps_its_own(server: Server) -> None:
    pool = make_pool(
        server,
        Schema=[
            {"Name": "given_name", "Required": True},
            {"Name": "updated_at", "AttributeDataType": "Number", "Mutable": False},
        ],
    )
    attrs = schema(pool)
    assert attrs["given_name"]["AttributeDataType"] == "String"
    assert attrs["given_name"]["Required"] is True and attrs["given_name"]["Mutable"] is True
    assert attrs["updated_at"]["AttributeDataType"] == "Number"
    assert attrs["updated_at"]["Mutable"] is False


def test_add_custom_attributes(server: Server) -> None:
    admin = server.admin()
    pool = make_pool(server)
    admin.add_custom_attributes(
        UserPoolId=pool["Id"],
        CustomAttributes=[
            {"Name": "plan", "AttributeDataType": "String", "Mutable": True},
            {
                "Name": "score",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "5"},
            },
            # AddCustomAttributes makes every attribute custom, even one named like a standard.
            {"Name": "email", "AttributeDataType": "String"},
        ],
    )
    attrs = schema(admin.describe_user_pool(UserPoolId=pool["Id"])["UserPool"])
    assert attrs["custom:plan"]["Mutable"] is True
    assert attrs["custom:score"]["NumberAttributeConstraints"] == {"MinValue": "1", "MaxValue": "5"}
    assert attrs["custom:email"]["AttributeDataType"] == "String"
    assert attrs["email"]["Required"] is False

    for bad, needle in (
        (
            {"Name": "plan", "AttributeDataType": "String"},
            "custom:plan: Existing attribute already has name custom:plan.",
        ),
        # A developer-only attribute would take the same place under another prefix.
        (
            {"Name": "plan", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
            "custom:plan: Existing attribute already has name custom:plan.",
        ),
        ({"Name": "must", "AttributeDataType": "String", "Required": True}, "Required custom"),
        (
            {"Name": "untyped"},
            "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.",
        ),
        (
            {
                "Name": "big",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MaxLength": "2049"},
            },
            "user.custom:big: String attributes cannot have a length of more than 2048",
        ),
    ):
        with pytest.raises(ClientError) as exc:
            admin.add_custom_attributes(UserPoolId=pool["Id"], CustomAttributes=[bad])
        assert error(exc)[0] == "InvalidParameterException"
        assert needle in error(exc)[1]
    after = schema(admin.describe_user_pool(UserPoolId=pool["Id"])["UserPool"])
    assert after == attrs


def test_at_most_50_custom_attributes(server: Server) -> None:
    admin = server.admin()
    fifty = [{"Name": f"a{i}", "AttributeDataType": "String"} for i in range(50)]
    pool = make_pool(server, Schema=fifty)
    assert sum(a["Name"].startswith("custom:") for a in pool["SchemaAttributes"]) == 50
    with pytest.raises(ClientError) as exc:
        admin.add_custom_attributes(
            UserPoolId=pool["Id"],
            CustomAttributes=[{"Name": "one_more", "AttributeDataType": "String"}],
        )
    assert error(exc) == (
        "InvalidParameterException",
        "A user pool can have at most 50 custom attributes.",
    )
    attrs = schema(admin.describe_user_pool(UserPoolId=pool["Id"])["UserPool"])
    assert "custom:one_more" not in attrs
