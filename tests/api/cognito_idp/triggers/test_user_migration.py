"""UserMigration against a live server (boto3), the function run in-process: a user unknown to
the pool moved in at sign-in (once: the second sign-in doesn't call it) and at ForgotPassword;
a refusing or malformed answer creates nobody; the password is kept hashed, never in clear."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import as_dict, error, unique
from tests.support.factories import PASSWORD, make_client, make_pool, sign_in
from tests.support.hosted_pages import hosted_client, page_url, submit
from tests.support.live import Server
from tests.support.tokens import verify
from tests.support.triggers import TriggerScript, lambda_config

FUNCTION = "user_migration"


# live, server and script: conftest.py (every test function in-process, both databases).


def setup(server: Server, **client: object) -> tuple[str, str]:
    pool_id = make_pool(server, LambdaConfig=lambda_config(UserMigration=FUNCTION))["Id"]
    return pool_id, make_client(server, pool_id, **client)["ClientId"]


def moved_in(username: str, **more: object) -> dict[str, object]:
    return {
        "response": {
            "userAttributes": {
                "email": f"{username}@example.com",
                "email_verified": "true",
                "name": "Old System",
            },
            "finalUserStatus": "CONFIRMED",
            "messageAction": "SUPPRESS",
            **more,
        }
    }


def stored_users(server: Server) -> list[tuple[object, ...]]:
    """Every row of the users table, read from the server's database directly."""
    if server.database_url.startswith("sqlite:///"):
        with sqlite3.connect(server.database_url.removeprefix("sqlite:///")) as db:
            return list(db.execute("SELECT * FROM users").fetchall())
    import psycopg

    with psycopg.connect(server.database_url) as db:
        return list(db.execute("SELECT * FROM users").fetchall())


def exists(server: Server, pool_id: str, username: str) -> bool:
    try:
        server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "UserNotFoundException"
        return False
    return True


def test_sign_in_moves_the_user_in_once(server: Server, script: TriggerScript) -> None:
    pool_id, client_id = setup(server)
    username = unique("legacy")
    script.set(user_migration=moved_in(username))
    tokens = sign_in(server, client_id, username)
    claims = verify(server, pool_id, tokens["IdToken"], audience=client_id)
    assert claims["cognito:username"] == username and claims["name"] == "Old System"
    (event,) = script.events(FUNCTION)
    assert event["triggerSource"] == "UserMigration_Authentication"
    assert event["userName"] == username and event["request"]["password"] == PASSWORD
    assert event["callerContext"]["clientId"] == client_id
    user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"
    assert as_dict(user["UserAttributes"])["email_verified"] == "true"
    # Second sign-in: the user is the pool's own now; the function is not asked again.
    script.set(user_migration={"raise": "must not be called"})
    assert sign_in(server, client_id, username)["AccessToken"]
    assert len(script.events(FUNCTION)) == 1
    # The migrated password is the user's, checked by the pool: a wrong one is refused.
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username, "Not-the-pass-1!")
    assert error(exc) == ("NotAuthorizedException", "Incorrect username or password.")


def test_password_is_stored_hashed(server: Server, script: TriggerScript) -> None:
    _, client_id = setup(server)
    username = unique("hashed")
    script.set(user_migration=moved_in(username))
    sign_in(server, client_id, username)
    rows = [" ".join(str(v) for v in row) for row in stored_users(server)]
    mine = [row for row in rows if username in row]
    assert mine, "the migrated user is stored"
    assert all(PASSWORD not in row for row in rows)
    assert any("argon2" in row for row in mine)


def test_refusal_creates_nobody(server: Server, script: TriggerScript) -> None:
    pool_id, client_id = setup(server)
    username = unique("refused")
    script.set(user_migration={"raise": "Bad password"})
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username)
    assert error(exc) == (
        "UserNotFoundException",
        f"Exception migrating user in app client {client_id}",
    )
    assert not exists(server, pool_id, username)
    # Where the client hides user existence, the same refusal is a wrong password.
    hiding = make_client(server, pool_id, PreventUserExistenceErrors="ENABLED")["ClientId"]
    with pytest.raises(ClientError) as exc:
        sign_in(server, hiding, username)
    assert error(exc) == ("NotAuthorizedException", "Incorrect username or password.")
    assert not exists(server, pool_id, username)
    # Positive control: the same name moved in once the function vouches for it.
    script.set(user_migration=moved_in(username))
    assert sign_in(server, client_id, username)["AccessToken"]
    assert exists(server, pool_id, username)


@pytest.mark.parametrize(
    "answer",
    [
        {"answer": {"response": {"userAttributes": "nope"}}},
        {"response": {"userAttributes": {"email": "x@example.com"}, "finalUserStatus": "ODD"}},
        {"response": {"userAttributes": {"custom:undefined": "1"}}},
    ],
)
def test_garbage_answer_creates_nobody(
    server: Server, script: TriggerScript, answer: dict[str, object]
) -> None:
    pool_id, client_id = setup(server)
    username = unique("garbage")
    script.set(user_migration=answer)
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username)
    assert error(exc)[0] in ("InvalidLambdaResponseException", "InvalidParameterException")
    assert not exists(server, pool_id, username)


def test_reset_required_user_must_reset(server: Server, script: TriggerScript) -> None:
    pool_id, client_id = setup(server)
    username = unique("reset")
    script.set(user_migration=moved_in(username, finalUserStatus="RESET_REQUIRED"))
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username)
    assert error(exc)[0] == "PasswordResetRequiredException"
    user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["UserStatus"] == "RESET_REQUIRED"


def test_srp_does_not_migrate(server: Server, script: TriggerScript) -> None:
    """Cognito: SRP never sends the password, so the function can't check it (apps that
    migrate users sign in with USER_PASSWORD_AUTH until they are moved)."""
    from pycognito.aws_srp import AWSSRP

    pool_id, client_id = setup(server)
    username = unique("srp")
    script.set(user_migration=moved_in(username))
    srp = AWSSRP(
        username=username,
        password=PASSWORD,
        pool_id=pool_id,
        client_id=client_id,
        client=server.public(),
    )
    with pytest.raises(ClientError) as exc:
        srp.authenticate_user()
    assert error(exc)[0] == "UserNotFoundException"
    assert script.events(FUNCTION) == []


def test_forgot_password_moves_the_user_in(server: Server, script: TriggerScript) -> None:
    pool_id, client_id = setup(server)
    username = unique("forgot")
    script.set(user_migration=moved_in(username))
    public = server.public()
    delivery = public.forgot_password(ClientId=client_id, Username=username)
    assert delivery["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    (event,) = script.events(FUNCTION)
    assert event["triggerSource"] == "UserMigration_ForgotPassword"
    assert "password" not in event["request"]
    user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert user["UserStatus"] == "RESET_REQUIRED"
    code = server.latest_code(pool_id, f"{username}@example.com")
    new_password = PASSWORD + "9"
    public.confirm_forgot_password(
        ClientId=client_id, Username=username, ConfirmationCode=code, Password=new_password
    )
    assert sign_in(server, client_id, username, new_password)["AccessToken"]
    assert len(script.events(FUNCTION)) == 1


def test_forgot_password_refused_creates_nobody(server: Server, script: TriggerScript) -> None:
    pool_id, client_id = setup(server)
    username = unique("forgot-no")
    script.set(user_migration={"raise": "unknown there too"})
    with pytest.raises(ClientError) as exc:
        server.public().forgot_password(ClientId=client_id, Username=username)
    assert error(exc)[0] == "UserNotFoundException"
    assert not exists(server, pool_id, username)
    assert len(script.events(FUNCTION)) == 1  # it was asked


def test_client_metadata_reaches_the_function(server: Server, script: TriggerScript) -> None:
    _, client_id = setup(server)
    username = unique("meta")
    script.set(user_migration=moved_in(username))
    server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        ClientMetadata={"source": "web"},
    )
    assert script.events(FUNCTION)[0]["request"]["validationData"] == {"source": "web"}
    other = unique("meta-forgot")
    script.set(user_migration=moved_in(other))
    server.public().forgot_password(
        ClientId=client_id, Username=other, ClientMetadata={"source": "reset"}
    )
    assert script.events(FUNCTION)[1]["request"]["clientMetadata"] == {"source": "reset"}


def test_hosted_pages_move_the_user_in(server: Server, script: TriggerScript) -> None:
    hosted = hosted_client(server, pool={"LambdaConfig": lambda_config(UserMigration=FUNCTION)})
    username = unique("hosted")

    def log_in() -> httpx.Response:
        with hosted.http() as http:
            page = http.get(page_url(hosted, "/login"))
            return submit(
                http, page, "login-form", username=username, password=PASSWORD, action="password"
            )

    script.set(user_migration={"raise": "unknown"})
    assert log_in().status_code == 400
    assert not exists(server, hosted.pool_id, username)
    script.set(user_migration=moved_in(username))
    signed_in = log_in()
    assert signed_in.status_code == 303
    assert signed_in.headers["location"].startswith(hosted.redirect_uri + "?code=")
    assert exists(server, hosted.pool_id, username)
    assert [e["triggerSource"] for e in script.events(FUNCTION)] == [
        "UserMigration_Authentication"
    ] * 2


def test_force_alias_creation(server: Server, script: TriggerScript) -> None:
    pool_id = make_pool(
        server, LambdaConfig=lambda_config(UserMigration=FUNCTION), AliasAttributes=["email"]
    )["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    holder = unique("holder")
    email = f"{holder}@example.com"
    server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=holder,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    newcomer = unique("newcomer")
    answer = {"userAttributes": {"email": email, "email_verified": "true"}}
    script.set(user_migration={"response": answer})
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, newcomer)
    assert error(exc)[0] == "AliasExistsException"
    assert not exists(server, pool_id, newcomer)
    script.set(user_migration={"response": {**answer, "forceAliasCreation": True}})
    assert sign_in(server, client_id, newcomer)["AccessToken"]
    held = server.admin().admin_get_user(UserPoolId=pool_id, Username=holder)
    assert as_dict(held["UserAttributes"])["email_verified"] == "false"
