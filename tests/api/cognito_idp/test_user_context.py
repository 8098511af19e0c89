"""UserContextData on the public sign-in with boto3 against the live server: its IpAddress is the
end user's address only for an app client with a secret and EnablePropagateAdditionalUserContextData
(Cognito's rule), where the auth event records it and threat protection scores it; for any other
client the connection's address stands, whatever the request claims."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import error, secret_hash
from tests.support.factories import PASSWORD, make_client, make_pool, make_user
from tests.support.live import Server

CLAIMED = "198.51.100.23"
BLOCKED = ("NotAuthorizedException", "Unable to login because of security reasons.")


def client(server: Server, pool_id: str, secret: bool, propagate: bool) -> tuple[str, str | None]:
    made = make_client(
        server,
        pool_id,
        GenerateSecret=secret,
        EnablePropagateAdditionalUserContextData=propagate,
    )
    return made["ClientId"], made.get("ClientSecret")


def sign_in(
    server: Server, client_id: str, secret: str | None, username: str, claimed: str
) -> dict[str, Any]:
    """USER_PASSWORD_AUTH with SECRET_HASH (when the client has a secret) and UserContextData."""
    parameters = {"USERNAME": username, "PASSWORD": PASSWORD}
    if secret is not None:
        parameters["SECRET_HASH"] = secret_hash(username, client_id, secret)
    return dict(
        server.public().initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters=parameters,
            UserContextData={"IpAddress": claimed, "EncodedData": "opaque"},
        )
    )


def address(server: Server, pool_id: str, username: str) -> str:
    out = server.admin().admin_list_user_auth_events(UserPoolId=pool_id, Username=username)
    return str(out["AuthEvents"][0]["EventContextData"]["IpAddress"])


@pytest.mark.parametrize(
    ("secret", "propagate", "claimed", "recorded"),
    [
        (True, True, CLAIMED, CLAIMED),
        (True, True, " 2001:DB8::7 ", "2001:db8::7"),
        (True, True, "not-an-address", "127.0.0.1"),  # ignored: the connection's stands
        (True, False, CLAIMED, "127.0.0.1"),
        (False, True, CLAIMED, "127.0.0.1"),  # no secret: nothing proves who calls
    ],
)
def test_the_claimed_address_is_taken_only_from_a_propagating_client_with_a_secret(
    server: Server, secret: bool, propagate: bool, claimed: str, recorded: str
) -> None:
    pool_id = make_pool(server, UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"})["Id"]
    client_id, client_secret = client(server, pool_id, secret, propagate)
    username = make_user(server, pool_id)
    assert (
        "AccessToken"
        in sign_in(server, client_id, client_secret, username, claimed)["AuthenticationResult"]
    )
    assert address(server, pool_id, username) == recorded


def test_threat_protection_scores_the_propagated_address(server: Server) -> None:
    pool_id = make_pool(server, UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"})["Id"]
    server.admin().set_risk_configuration(
        UserPoolId=pool_id,
        RiskExceptionConfiguration={"BlockedIPRangeList": ["198.51.100.0/24"]},
    )
    propagating = client(server, pool_id, secret=True, propagate=True)
    other = client(server, pool_id, secret=True, propagate=False)
    username = make_user(server, pool_id)
    with pytest.raises(ClientError) as refused:
        sign_in(server, *propagating, username, CLAIMED)
    assert error(refused) == BLOCKED
    assert address(server, pool_id, username) == CLAIMED
    # The same claim through a client that does not propagate: scored as 127.0.0.1.
    assert "AuthenticationResult" in sign_in(server, *other, username, CLAIMED)
    assert address(server, pool_id, username) == "127.0.0.1"
