"""Self-service with an access token, boto3 against the live server: GetUser,
UpdateUserAttributes, DeleteUserAttributes, DeleteUser, ChangePassword."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import as_dict, attrs, error, unique
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.live import Server


@pytest.fixture(scope="module")
def pool_id(server: Server) -> str:
    return str(
        make_pool(
            server,
            Schema=[
                {"Name": "name", "AttributeDataType": "String", "Required": True},
                {"Name": "badge", "AttributeDataType": "String", "Mutable": False},
                {"Name": "team", "AttributeDataType": "String", "Mutable": True},
            ],
        )["Id"]
    )


@pytest.fixture(scope="module")
def client_id(server: Server, pool_id: str) -> str:
    return str(make_client(server, pool_id)["ClientId"])


@pytest.fixture(scope="module")
def narrow_client_id(server: Server, pool_id: str) -> str:
    """A client that reads email, name and custom:team and writes only custom:team."""
    return str(
        make_client(
            server,
            pool_id,
            ReadAttributes=["email", "name", "custom:team"],
            WriteAttributes=["custom:team"],
        )["ClientId"]
    )


def new_user(server: Server, pool_id: str, **extra: str) -> str:
    return make_user(
        server,
        pool_id,
        attributes={"name": "Ada", "custom:badge": "B-1", "given_name": "A", **extra},
    )


def token_for(server: Server, client_id: str, username: str, password: str = PASSWORD) -> str:
    return str(sign_in(server, client_id, username, password)["AccessToken"])


def test_get_user(server: Server, pool_id: str, client_id: str) -> None:
    username = new_user(server, pool_id, **{"custom:team": "red"})
    out = server.public().get_user(AccessToken=token_for(server, client_id, username))
    assert out["Username"] == username
    got = as_dict(out["UserAttributes"])
    assert got["email"] == f"{username}@example.com"
    assert got["email_verified"] == "true"
    assert (got["name"], got["custom:team"], got["custom:badge"]) == ("Ada", "red", "B-1")
    assert got["sub"]


def test_get_user_shows_only_readable_attributes(
    server: Server, pool_id: str, narrow_client_id: str
) -> None:
    username = new_user(server, pool_id, **{"custom:team": "red"})
    out = server.public().get_user(AccessToken=token_for(server, narrow_client_id, username))
    # Cognito: sub is always readable.
    assert set(as_dict(out["UserAttributes"])) == {"sub", "email", "name", "custom:team"}


def test_bad_access_tokens(server: Server) -> None:
    for token in ("not-a-token", "a.b.c"):
        with pytest.raises(ClientError) as exc:
            server.public().get_user(AccessToken=token)
        assert error(exc)[0] == "NotAuthorizedException"


def test_update_user_attributes(server: Server, pool_id: str, client_id: str) -> None:
    username = new_user(server, pool_id)
    token = token_for(server, client_id, username)
    out = server.public().update_user_attributes(
        AccessToken=token, UserAttributes=attrs(given_name="Augusta", custom__team="blue")
    )
    assert out["CodeDeliveryDetailsList"] == []
    got = as_dict(server.public().get_user(AccessToken=token)["UserAttributes"])
    assert (got["given_name"], got["custom:team"]) == ("Augusta", "blue")


def test_changing_email_sends_a_verification_code(
    server: Server, pool_id: str, client_id: str
) -> None:
    username = new_user(server, pool_id)
    token = token_for(server, client_id, username)
    new_email = f"moved-{username}@example.com"
    out = server.public().update_user_attributes(
        AccessToken=token, UserAttributes=attrs(email=new_email)
    )
    assert out["CodeDeliveryDetailsList"] == [
        {"Destination": "m***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    ]
    got = as_dict(server.public().get_user(AccessToken=token)["UserAttributes"])
    assert (got["email"], got["email_verified"]) == (new_email, "false")
    [message] = server.outbox(pool_id, new_email)
    assert message["kind"] == "verification"
    assert message["code"] in message["body"]


def test_update_refusals(
    server: Server, pool_id: str, client_id: str, narrow_client_id: str
) -> None:
    username = new_user(server, pool_id)
    token = token_for(server, client_id, username)
    for bad, code in (
        (attrs(email_verified="true"), "NotAuthorizedException"),
        (attrs(custom__badge="B-2"), "InvalidParameterException"),
        (attrs(custom__nope="x"), "InvalidParameterException"),
        (attrs(sub="mine"), "InvalidParameterException"),
        (attrs(name=""), "InvalidParameterException"),
        (attrs(email="not an email"), "InvalidParameterException"),
    ):
        with pytest.raises(ClientError) as exc:
            server.public().update_user_attributes(AccessToken=token, UserAttributes=bad)
        assert error(exc)[0] == code, bad
    narrow = token_for(server, narrow_client_id, username)
    with pytest.raises(ClientError) as exc:
        server.public().update_user_attributes(
            AccessToken=narrow, UserAttributes=attrs(given_name="Nope")
        )
    assert error(exc) == (
        "NotAuthorizedException",
        "A client attempted to write unauthorized attribute",
    )
    server.public().update_user_attributes(
        AccessToken=narrow, UserAttributes=attrs(custom__team="green")
    )
    got = as_dict(
        server.admin().admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"]
    )
    assert (got["given_name"], got["custom:team"], got["custom:badge"]) == ("A", "green", "B-1")
    assert got["email_verified"] == "true"


def test_delete_user_attributes(
    server: Server, pool_id: str, client_id: str, narrow_client_id: str
) -> None:
    username = new_user(server, pool_id, **{"custom:team": "red"})
    token = token_for(server, client_id, username)
    server.public().delete_user_attributes(AccessToken=token, UserAttributeNames=["given_name"])
    got = as_dict(server.public().get_user(AccessToken=token)["UserAttributes"])
    assert "given_name" not in got
    with pytest.raises(ClientError) as exc:
        server.public().delete_user_attributes(AccessToken=token, UserAttributeNames=["name"])
    assert error(exc)[0] == "InvalidParameterException"
    narrow = token_for(server, narrow_client_id, username)
    with pytest.raises(ClientError) as exc:
        server.public().delete_user_attributes(AccessToken=narrow, UserAttributeNames=["email"])
    assert error(exc)[0] == "NotAuthorizedException"
    server.public().delete_user_attributes(AccessToken=narrow, UserAttributeNames=["custom:team"])
    got = as_dict(server.public().get_user(AccessToken=token)["UserAttributes"])
    assert "custom:team" not in got
    assert got["email"] == f"{username}@example.com"


def test_delete_user(server: Server, pool_id: str, client_id: str) -> None:
    username = new_user(server, pool_id)
    tokens = sign_in(server, client_id, username)
    server.public().delete_user(AccessToken=tokens["AccessToken"])
    with pytest.raises(ClientError) as exc:
        server.public().get_user(AccessToken=tokens["AccessToken"])
    assert error(exc)[0] in {"NotAuthorizedException", "UserNotFoundException"}
    with pytest.raises(ClientError) as exc:
        server.public().delete_user(AccessToken=tokens["AccessToken"])
    assert error(exc)[0] in {"NotAuthorizedException", "UserNotFoundException"}
    with pytest.raises(ClientError) as exc:
        server.public().initiate_auth(
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    assert error(exc)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as exc:
        server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert error(exc)[0] == "UserNotFoundException"


def test_change_password(server: Server, pool_id: str, client_id: str) -> None:
    username = new_user(server, pool_id)
    token = token_for(server, client_id, username)
    new_password = "An0ther-Secret!"
    with pytest.raises(ClientError) as exc:
        server.public().change_password(
            AccessToken=token, PreviousPassword="Wrong-Passw0rd!", ProposedPassword=new_password
        )
    assert error(exc) == ("NotAuthorizedException", "Incorrect username or password.")
    with pytest.raises(ClientError) as exc:
        server.public().change_password(
            AccessToken=token, PreviousPassword=PASSWORD, ProposedPassword="weakpassword"
        )
    assert error(exc)[0] == "InvalidPasswordException"
    assert token_for(server, client_id, username)  # the password did not change
    server.public().change_password(
        AccessToken=token, PreviousPassword=PASSWORD, ProposedPassword=new_password
    )
    assert token_for(server, client_id, username, new_password)
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username, PASSWORD)
    assert error(exc) == ("NotAuthorizedException", "Incorrect username or password.")


def test_tokens_of_another_pool_do_not_reach_this_one(server: Server, pool_id: str) -> None:
    other = make_pool(server)["Id"]
    other_client = make_client(server, other)["ClientId"]
    username = unique()
    make_user(server, other, username=username)
    new_user(server, pool_id)  # an unrelated user in this pool
    token = token_for(server, other_client, username)
    out = server.public().get_user(AccessToken=token)
    assert out["Username"] == username
    server.public().update_user_attributes(AccessToken=token, UserAttributes=attrs(nickname="x"))
    with pytest.raises(ClientError):
        server.admin().admin_get_user(UserPoolId=pool_id, Username=username)


def test_self_service_reads_the_current_state(server: Server, pool_id: str, client_id: str) -> None:
    username = new_user(server, pool_id)
    token = token_for(server, client_id, username)
    server.admin().admin_update_user_attributes(
        UserPoolId=pool_id, Username=username, UserAttributes=attrs(nickname="admin-set")
    )
    got = as_dict(server.public().get_user(AccessToken=token)["UserAttributes"])
    assert got["nickname"] == "admin-set"
    server.admin().admin_disable_user(UserPoolId=pool_id, Username=username)
    with pytest.raises(ClientError) as exc:
        server.public().update_user_attributes(
            AccessToken=token, UserAttributes=attrs(nickname="me")
        )
    assert error(exc)[0] == "NotAuthorizedException"
