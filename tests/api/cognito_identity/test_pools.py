"""Identity pool management over the wire (AWSCognitoIdentityService), on both databases."""

from __future__ import annotations

import secrets
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from tests.support.factories import make_client, make_pool
from tests.support.identity import aws_key, identity_admin, identity_public, make_identity_pool
from tests.support.live import REGION, Server

ROLE = "arn:aws:iam::123456789012:role/"
# cognito-identity's answer to what its model refuses (cognito-idp's is InvalidParameterException).
VALIDATION = "ValidationException"


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


@pytest.fixture(scope="module")
def user_pool(server: Server) -> dict[str, Any]:
    pool = make_pool(server)
    client = make_client(server, pool["Id"])
    return {"id": pool["Id"], "client": client["ClientId"]}


def test_create_describe_update_list_delete(server: Server, user_pool: dict[str, Any]) -> None:
    admin = identity_admin(server)
    created = admin.create_identity_pool(
        IdentityPoolName="photos app",
        AllowUnauthenticatedIdentities=True,
        AllowClassicFlow=True,
        SupportedLoginProviders={"graph.facebook.com": "1234"},
        DeveloperProviderName="login.photos",
        OpenIdConnectProviderARNs=["arn:aws:iam::123456789012:oidc-provider/issuer.example.com"],
        CognitoIdentityProviders=[
            {
                "ProviderName": aws_key(user_pool["id"]),
                "ClientId": user_pool["client"],
                "ServerSideTokenCheck": True,
            }
        ],
        IdentityPoolTags={"team": "photos"},
    )
    pool_id = created["IdentityPoolId"]
    region, _, uuid_part = pool_id.partition(":")
    assert region == "us-east-1" and len(uuid_part) == 36
    described = admin.describe_identity_pool(IdentityPoolId=pool_id)
    for key in (
        "IdentityPoolName",
        "AllowUnauthenticatedIdentities",
        "AllowClassicFlow",
        "SupportedLoginProviders",
        "DeveloperProviderName",
        "OpenIdConnectProviderARNs",
        "CognitoIdentityProviders",
        "IdentityPoolTags",
    ):
        assert described[key] == created[key], key
    assert described["CognitoIdentityProviders"][0]["ServerSideTokenCheck"] is True

    updated = admin.update_identity_pool(
        IdentityPoolId=pool_id,
        IdentityPoolName="photos app v2",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[{"ProviderName": aws_key(user_pool["id"])}],
    )
    assert updated["IdentityPoolName"] == "photos app v2"
    assert updated["AllowUnauthenticatedIdentities"] is False
    # Cognito: UpdateIdentityPool replaces the configuration; the developer provider stays.
    assert updated["OpenIdConnectProviderARNs"] == []
    assert updated["DeveloperProviderName"] == "login.photos"
    assert updated["IdentityPoolTags"] == {"team": "photos"}  # tags kept when not given
    assert "AllowClassicFlow" not in updated
    assert admin.describe_identity_pool(IdentityPoolId=pool_id)["IdentityPoolName"] == (
        "photos app v2"
    )

    listed: list[str] = []
    token = None
    while True:
        page = admin.list_identity_pools(MaxResults=1, **({"NextToken": token} if token else {}))
        assert len(page["IdentityPools"]) <= 1
        listed += [p["IdentityPoolId"] for p in page["IdentityPools"]]
        token = page.get("NextToken")
        if not token:
            break
    assert pool_id in listed

    admin.delete_identity_pool(IdentityPoolId=pool_id)
    with pytest.raises(ClientError) as exc:
        admin.describe_identity_pool(IdentityPoolId=pool_id)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        admin.delete_identity_pool(IdentityPoolId=pool_id)
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_management_needs_sigv4_and_public_operations_do_not(server: Server) -> None:
    pool = make_identity_pool(server, AllowUnauthenticatedIdentities=True)
    public = identity_public(server)
    with pytest.raises(ClientError) as exc:
        public.describe_identity_pool(IdentityPoolId=pool["IdentityPoolId"])
    assert error_of(exc)[0] == "MissingAuthenticationTokenException"
    wrong = boto3.client(
        "cognito-identity",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key="not-the-secret",
        config=Config(retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as exc:
        wrong.list_identity_pools(MaxResults=5)
    assert error_of(exc)[0] in {"InvalidSignatureException", "UnrecognizedClientException"}
    assert public.get_id(IdentityPoolId=pool["IdentityPoolId"])["IdentityId"]


@pytest.mark.parametrize(
    ("overrides", "code", "fragment"),
    [
        # What the model refuses is cognito-identity's ValidationException, in AWS's wording;
        # what only the service can judge is InvalidParameterException.
        (
            {"CognitoIdentityProviders": [{"ProviderName": "not a provider"}]},
            VALIDATION,
            "1 validation error detected: Value 'not a provider' at "
            "'cognitoIdentityProviders.1.member.providerName' failed to satisfy constraint",
        ),
        (
            {"OpenIdConnectProviderARNs": ["arn:aws:iam::1:oidc-provider/x"]},
            "InvalidParameterException",
            "OpenIdConnect",
        ),
        (
            {"IdentityPoolName": "bad/name"},
            VALIDATION,
            "1 validation error detected: Value 'bad/name' at 'identityPoolName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+",
        ),
        (
            {"IdentityPoolTags": {f"k{i}": "v" for i in range(51)}},
            VALIDATION,
            "at 'identityPoolTags' failed to satisfy constraint: Member must have length less "
            "than or equal to 50",
        ),
    ],
)
def test_create_rejects_bad_configuration(
    server: Server, overrides: dict[str, Any], code: str, fragment: str
) -> None:
    with pytest.raises(ClientError) as exc:
        make_identity_pool(server, **overrides)
    got, message = error_of(exc)
    assert got == code
    assert fragment in message


def test_unknown_and_malformed_pool_ids(server: Server) -> None:
    admin = identity_admin(server)
    with pytest.raises(ClientError) as exc:
        admin.describe_identity_pool(
            IdentityPoolId="us-east-1:00000000-0000-0000-0000-000000000000"
        )
    assert error_of(exc) == (
        "ResourceNotFoundException",
        "IdentityPool 'us-east-1:00000000-0000-0000-0000-000000000000' not found.",
    )
    with pytest.raises(ClientError) as exc:
        admin.describe_identity_pool(IdentityPoolId="no-colon-here")
    # AWS's own answer to a user pool id where an identity pool id belongs.
    assert error_of(exc) == (
        VALIDATION,
        "1 validation error detected: Value 'no-colon-here' at 'identityPoolId' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+",
    )
    with pytest.raises(ClientError) as exc:
        admin.update_identity_pool(
            IdentityPoolId="us-east-1:00000000-0000-0000-0000-000000000000",
            IdentityPoolName="x",
            AllowUnauthenticatedIdentities=False,
        )
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_developer_provider_name_cannot_change(server: Server) -> None:
    pool = make_identity_pool(server, DeveloperProviderName="login.one")
    with pytest.raises(ClientError) as exc:
        identity_admin(server).update_identity_pool(
            IdentityPoolId=pool["IdentityPoolId"],
            IdentityPoolName=pool["IdentityPoolName"],
            AllowUnauthenticatedIdentities=False,
            DeveloperProviderName="login.two",
        )
    assert error_of(exc)[0] == "InvalidParameterException"


def test_roles_and_role_mappings_round_trip(server: Server, user_pool: dict[str, Any]) -> None:
    pool = make_identity_pool(
        server,
        user_pool["id"],
        user_pool["client"],
        OpenIdConnectProviderARNs=["arn:aws:iam::123456789012:oidc-provider/issuer.example.com"],
    )
    admin = identity_admin(server)
    pool_id = pool["IdentityPoolId"]
    assert admin.get_identity_pool_roles(IdentityPoolId=pool_id)["Roles"] == {}
    mappings = {
        f"{aws_key(user_pool['id'])}:{user_pool['client']}": {
            "Type": "Token",
            "AmbiguousRoleResolution": "AuthenticatedRole",
        },
        "issuer.example.com": {
            "Type": "Rules",
            "AmbiguousRoleResolution": "Deny",
            "RulesConfiguration": {
                "Rules": [
                    {
                        "Claim": "groups",
                        "MatchType": "Contains",
                        "Value": "admins",
                        "RoleARN": ROLE + "admins",
                    },
                    {
                        "Claim": "email",
                        "MatchType": "StartsWith",
                        "Value": "ops@",
                        "RoleARN": ROLE + "ops",
                    },
                ]
            },
        },
    }
    roles = {"authenticated": ROLE + "auth", "unauthenticated": ROLE + "guest"}
    admin.set_identity_pool_roles(IdentityPoolId=pool_id, Roles=roles, RoleMappings=mappings)
    got = admin.get_identity_pool_roles(IdentityPoolId=pool_id)
    assert got["IdentityPoolId"] == pool_id
    assert got["Roles"] == roles
    assert got["RoleMappings"] == mappings
    # Roles and mappings survive an UpdateIdentityPool.
    admin.update_identity_pool(
        IdentityPoolId=pool_id,
        IdentityPoolName=pool["IdentityPoolName"],
        AllowUnauthenticatedIdentities=True,
        CognitoIdentityProviders=pool["CognitoIdentityProviders"],
        OpenIdConnectProviderARNs=pool["OpenIdConnectProviderARNs"],
    )
    assert admin.get_identity_pool_roles(IdentityPoolId=pool_id)["RoleMappings"] == mappings


@pytest.mark.parametrize(
    ("roles", "mappings", "fragment"),
    [
        ({"admin": ROLE + "x"}, {}, "(un)?authenticated"),  # the model's pattern
        ({"authenticated": "this-is-definitely-not-an-arn"}, {}, "IAM role ARN"),
        (
            {},
            {"accounts.unknown.example": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}},
            "does not name an identity provider",
        ),
        ({}, {"@POOL": {"Type": "Token"}}, "AmbiguousRoleResolution"),
        ({}, {"@POOL": {"Type": "Rules", "AmbiguousRoleResolution": "Deny"}}, "Rules"),
    ],
)
def test_set_roles_rejects_bad_input(
    server: Server,
    user_pool: dict[str, Any],
    roles: dict[str, str],
    mappings: dict[str, Any],
    fragment: str,
) -> None:
    pool = make_identity_pool(server, user_pool["id"], user_pool["client"])
    mappings = {(aws_key(user_pool["id"]) if k == "@POOL" else k): v for k, v in mappings.items()}
    admin = identity_admin(server)
    with pytest.raises(ClientError) as exc:
        admin.set_identity_pool_roles(
            IdentityPoolId=pool["IdentityPoolId"], Roles=roles, RoleMappings=mappings
        )
    code, message = error_of(exc)
    # The model's pattern is cognito-identity's ValidationException; the rest the service's.
    assert code == (VALIDATION if fragment == "(un)?authenticated" else "InvalidParameterException")
    assert fragment in message
    # Nothing was half-written.
    assert admin.get_identity_pool_roles(IdentityPoolId=pool["IdentityPoolId"])["Roles"] == {}


def test_principal_tag_attribute_map(server: Server, user_pool: dict[str, Any]) -> None:
    pool = make_identity_pool(server, user_pool["id"], user_pool["client"])
    admin = identity_admin(server)
    provider = aws_key(user_pool["id"])
    unset = admin.get_principal_tag_attribute_map(
        IdentityPoolId=pool["IdentityPoolId"], IdentityProviderName=provider
    )
    assert unset["UseDefaults"] is False
    assert unset["PrincipalTags"] == {}
    put = admin.set_principal_tag_attribute_map(
        IdentityPoolId=pool["IdentityPoolId"],
        IdentityProviderName=provider,
        UseDefaults=True,
        PrincipalTags={"department": "custom:dept"},
    )
    assert put["UseDefaults"] is True
    got = admin.get_principal_tag_attribute_map(
        IdentityPoolId=pool["IdentityPoolId"], IdentityProviderName=provider
    )
    assert got["PrincipalTags"] == {"department": "custom:dept"}
    assert got["IdentityProviderName"] == provider
    with pytest.raises(ClientError) as exc:
        admin.get_principal_tag_attribute_map(
            IdentityPoolId=pool["IdentityPoolId"], IdentityProviderName="accounts.google.com"
        )
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_tags_by_arn(server: Server) -> None:
    admin = identity_admin(server)
    pool = make_identity_pool(server, IdentityPoolTags={"a": "1"})
    arn = f"arn:aws:cognito-identity:us-east-1:000000000000:identitypool/{pool['IdentityPoolId']}"
    admin.tag_resource(ResourceArn=arn, Tags={"b": "2", "a": "one"})
    assert admin.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"a": "one", "b": "2"}
    admin.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert admin.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"b": "2"}
    described = admin.describe_identity_pool(IdentityPoolId=pool["IdentityPoolId"])
    assert described["IdentityPoolTags"] == {"b": "2"}
    with pytest.raises(ClientError) as exc:
        admin.list_tags_for_resource(
            ResourceArn="arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_abc"
        )
    assert error_of(exc)[0] == "InvalidParameterException"
    unknown_pool = f"us-east-1:{secrets.token_hex(4)}-0000-0000-0000-000000000000"
    missing = f"arn:aws:cognito-identity:us-east-1:000000000000:identitypool/{unknown_pool}"
    with pytest.raises(ClientError) as exc:
        admin.tag_resource(ResourceArn=missing, Tags={"x": "y"})
    assert error_of(exc)[0] == "ResourceNotFoundException"
