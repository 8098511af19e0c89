"""A provider identity linked to an existing user (AdminLinkProviderForUser) signs in as that
user, end to end: a live `mamori serve`, panva's oidc-provider standing in for the provider, an
httpx client as the browser (tests/api/oauth2/test_idp_response.py's world). The tokens' sub is
the existing user's, its `identities` get the provider's entry; once AdminDisableProviderForUser
removes the link the identity signs in as its own federated user, which it then disables."""

from __future__ import annotations

import json

import httpx
import pytest
from botocore.exceptions import ClientError
from tests.api.oauth2.test_idp_response import PROVIDER, World, claims_of, sign_in, world
from tests.support.factories import make_user

__all__ = ["world"]  # the module-scoped fixture, shared


def attributes(world: World, username: str) -> dict[str, str]:
    user = world.server.admin().admin_get_user(UserPoolId=world.pool_id, Username=username)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def test_a_linked_identity_signs_in_as_the_existing_user(world: World) -> None:
    admin, pool_id = world.server.admin(), world.pool_id
    linda = make_user(world.server, pool_id, "linda")
    sub = attributes(world, linda)["sub"]
    source = {
        "ProviderName": PROVIDER,
        "ProviderAttributeName": "Cognito_Subject",
        "ProviderAttributeValue": "linda-corp",
    }
    admin.admin_link_provider_for_user(
        UserPoolId=pool_id,
        DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": linda},
        SourceUser=source,
    )

    world.provider.sign_in_as(
        "linda-corp", email="linda@corp.example", email_verified=True, name="Linda", team="green"
    )
    with httpx.Client() as browser:
        tokens = sign_in(world, browser)
    claims = claims_of(tokens["id_token"])
    assert claims["sub"] == sub and claims["cognito:username"] == linda
    [identity] = claims["identities"]
    assert identity["userId"] == "linda-corp" and identity["providerName"] == PROVIDER
    attrs = attributes(world, linda)
    assert attrs["name"] == "Linda" and attrs["custom:team"] == "green"
    assert json.loads(attrs["identities"])[0]["userId"] == "linda-corp"
    user = admin.admin_get_user(UserPoolId=pool_id, Username=linda)
    assert user["UserStatus"] == "CONFIRMED"  # still the pool's own user, password kept
    assert f"{PROVIDER}_linda-corp" not in {u["Username"] for u in world.users()}

    # The link removed: the identity is gone from the user, and signs in as its own user.
    admin.admin_disable_provider_for_user(UserPoolId=pool_id, User=source)
    assert "identities" not in attributes(world, linda)
    with httpx.Client() as browser:
        own = claims_of(sign_in(world, browser)["id_token"])
    assert own["sub"] != sub and own["cognito:username"] == f"{PROVIDER}_linda-corp"

    # A provider identity that has its own user cannot be linked any more.
    with pytest.raises(ClientError) as exc:
        admin.admin_link_provider_for_user(
            UserPoolId=pool_id,
            DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": linda},
            SourceUser=source,
        )
    assert exc.value.response["Error"]["Code"] == "AliasExistsException"

    # Disabling the provider for it now disables that federated user.
    admin.admin_disable_provider_for_user(UserPoolId=pool_id, User=source)
    own_user = admin.admin_get_user(UserPoolId=pool_id, Username=f"{PROVIDER}_linda-corp")
    assert not own_user["Enabled"]
