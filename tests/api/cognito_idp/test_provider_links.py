"""AdminLinkProviderForUser and AdminDisableProviderForUser over boto3 against a live server:
links to a pool's user, at most five (LimitExceededException), a provider identity linked once
(AliasExistsException), the names refused (InvalidParameterException), unknown users and pools,
the link removed by AdminDisableProviderForUser and with its user. Signing in through a linked
identity: tests/api/oauth2/test_provider_links_sign_in.py."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.factories import make_pool, make_user
from tests.support.live import Server

OIDC = {
    "client_id": "oidc-client",
    "client_secret": "oidc-secret",
    "attributes_request_method": "GET",
    "oidc_issuer": "https://idp.example.com",
    "authorize_scopes": "openid email",
}


def cognito_user(username: str) -> dict[str, str]:
    return {"ProviderName": "Cognito", "ProviderAttributeValue": username}


def corp_user(subject: str, provider: str = "Corp") -> dict[str, str]:
    return {
        "ProviderName": provider,
        "ProviderAttributeName": "Cognito_Subject",
        "ProviderAttributeValue": subject,
    }


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


@pytest.fixture()
def pool(server: Server) -> dict[str, Any]:
    pool = make_pool(server)
    server.admin().create_identity_provider(
        UserPoolId=pool["Id"], ProviderName="Corp", ProviderType="OIDC", ProviderDetails=OIDC
    )
    return pool


def test_link_at_most_five_and_once_each(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    alice, bob = make_user(server, pool_id, "alice"), make_user(server, pool_id, "bob")
    for n in range(5):
        out = admin.admin_link_provider_for_user(
            UserPoolId=pool_id, DestinationUser=cognito_user(alice), SourceUser=corp_user(f"s{n}")
        )
        assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as exc:
        admin.admin_link_provider_for_user(
            UserPoolId=pool_id, DestinationUser=cognito_user(alice), SourceUser=corp_user("s5")
        )
    assert code(exc) == "LimitExceededException"
    # A provider identity links to one user.
    with pytest.raises(ClientError) as exc:
        admin.admin_link_provider_for_user(
            UserPoolId=pool_id, DestinationUser=cognito_user(bob), SourceUser=corp_user("s0")
        )
    assert code(exc) == "AliasExistsException"
    # Disabling removes the link: the identity and the room are free again.
    admin.admin_disable_provider_for_user(UserPoolId=pool_id, User=corp_user("s0"))
    admin.admin_link_provider_for_user(
        UserPoolId=pool_id, DestinationUser=cognito_user(bob), SourceUser=corp_user("s0")
    )
    admin.admin_link_provider_for_user(
        UserPoolId=pool_id, DestinationUser=cognito_user(alice), SourceUser=corp_user("s5")
    )
    with pytest.raises(ClientError) as exc:
        admin.admin_disable_provider_for_user(UserPoolId=pool_id, User=corp_user("never"))
    assert code(exc) == "UserNotFoundException"


def test_deleting_the_user_removes_its_links(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    alice = make_user(server, pool_id, "alice")
    admin.admin_link_provider_for_user(
        UserPoolId=pool_id, DestinationUser=cognito_user(alice), SourceUser=corp_user("s1")
    )
    admin.admin_delete_user(UserPoolId=pool_id, Username=alice)
    bob = make_user(server, pool_id, "bob")
    admin.admin_link_provider_for_user(
        UserPoolId=pool_id, DestinationUser=cognito_user(bob), SourceUser=corp_user("s1")
    )


@pytest.mark.parametrize(
    ("destination", "source", "expected"),
    [
        (cognito_user("nobody"), corp_user("s1"), "UserNotFoundException"),
        (cognito_user("alice"), corp_user("s1", provider="Cognito"), "InvalidParameterException"),
        (cognito_user("alice"), corp_user("s1", provider="Unknown"), "InvalidParameterException"),
        (
            cognito_user("alice"),
            {**corp_user("s1"), "ProviderAttributeName": "email"},
            "InvalidParameterException",
        ),
        (cognito_user("alice"), {"ProviderName": "Corp"}, "InvalidParameterException"),
        ({"ProviderName": "Cognito"}, corp_user("s1"), "InvalidParameterException"),
        # A federated destination is named by its provider's user id: none signed in yet.
        (corp_user("s9"), corp_user("s1"), "UserNotFoundException"),
    ],
)
def test_refused_links(
    server: Server,
    pool: dict[str, Any],
    destination: dict[str, str],
    source: dict[str, str],
    expected: str,
) -> None:
    make_user(server, pool["Id"], "alice")
    with pytest.raises(ClientError) as exc:
        server.admin().admin_link_provider_for_user(
            UserPoolId=pool["Id"], DestinationUser=destination, SourceUser=source
        )
    assert code(exc) == expected


def test_disable_refuses_cognito_users_and_unknown_pools(
    server: Server, pool: dict[str, Any]
) -> None:
    admin = server.admin()
    with pytest.raises(ClientError) as exc:
        admin.admin_disable_provider_for_user(
            UserPoolId=pool["Id"], User={**cognito_user("alice"), "ProviderAttributeName": "x"}
        )
    assert code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        admin.admin_disable_provider_for_user(UserPoolId="us-east-1_nothere", User=corp_user("s1"))
    assert code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        admin.admin_link_provider_for_user(
            UserPoolId="us-east-1_nothere",
            DestinationUser=cognito_user("alice"),
            SourceUser=corp_user("s1"),
        )
    assert code(exc) == "ResourceNotFoundException"
