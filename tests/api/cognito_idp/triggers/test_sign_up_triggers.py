"""PreSignUp and PostConfirmation against a live server (boto3, pycognito), the functions run
in-process: their events (attributes, validationData, clientMetadata), PreSignUp confirming and
verifying, a refusing PreSignUp leaving no user and sending nothing, and PostConfirmation after
ConfirmSignUp, AdminConfirmSignUp and ConfirmForgotPassword."""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pycognito
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from tests.support.cognito import as_dict, attrs, error, unique
from tests.support.factories import (
    PASSWORD,
    make_client,
    make_code_client,
    make_oidc_provider,
    make_pool,
    sign_in,
)
from tests.support.hosted_pages import hosted_client, page_url, submit
from tests.support.live import REGION, Server, run_server
from tests.support.oauth import redeem_code
from tests.support.oidc_stand_in import StandIn, client, oidc_stand_in
from tests.support.triggers import TriggerScript, lambda_config

TRIGGERS = lambda_config(PreSignUp="pre_sign_up", PostConfirmation="post_confirmation")
REFUSED = ("UserLambdaValidationException", "PreSignUp failed with error not on the list.")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, TriggerScript]]:
    tmp: Path = tmp_path_factory.mktemp("sign-up-triggers")
    script = TriggerScript(tmp)
    with run_server(tmp, "sqlite", extra_env=script.env()) as server:
        yield server, script


@pytest.fixture()
def script(live: tuple[Server, TriggerScript]) -> TriggerScript:
    live[1].reset()
    return live[1]


@pytest.fixture()
def server(live: tuple[Server, TriggerScript]) -> Server:
    return live[0]


@pytest.fixture()
def pool(server: Server) -> tuple[str, str]:
    pool_id = make_pool(server, LambdaConfig=TRIGGERS)["Id"]
    return pool_id, make_client(server, pool_id)["ClientId"]


def sign_up(server: Server, client_id: str, username: str, **extra: Any) -> dict[str, Any]:
    return dict(
        server.public().sign_up(
            ClientId=client_id,
            Username=username,
            Password=PASSWORD,
            UserAttributes=extra.pop("UserAttributes", attrs(email=f"{username}@example.com")),
            **extra,
        )
    )


def user_of(server: Server, pool_id: str, username: str) -> dict[str, Any]:
    return dict(server.admin().admin_get_user(UserPoolId=pool_id, Username=username))


def no_user(server: Server, pool_id: str, username: str) -> bool:
    with pytest.raises(ClientError) as exc:
        server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    return error(exc)[0] == "UserNotFoundException"


# --- PreSignUp_SignUp
def test_pre_sign_up_gets_attributes_validation_data_and_metadata(
    server: Server, script: TriggerScript, pool: tuple[str, str]
) -> None:
    pool_id, client_id = pool
    username = unique()
    out = sign_up(
        server,
        client_id,
        username,
        ValidationData=attrs(invite="A-17"),
        ClientMetadata={"campaign": "spring"},
    )
    [event] = script.events("pre_sign_up")
    assert event["triggerSource"] == "PreSignUp_SignUp"
    assert event["userPoolId"] == pool_id and event["userName"] == username
    assert event["callerContext"]["clientId"] == client_id
    assert event["request"]["userAttributes"] == {"email": f"{username}@example.com"}
    assert event["request"]["validationData"] == {"invite": "A-17"}
    assert event["request"]["clientMetadata"] == {"campaign": "spring"}
    assert event["response"] == {
        "autoConfirmUser": False,
        "autoVerifyEmail": False,
        "autoVerifyPhone": False,
    }
    # Answered as it was asked: the user waits for its code, as without a trigger.
    assert out["UserConfirmed"] is False
    assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert user_of(server, pool_id, username)["UserStatus"] == "UNCONFIRMED"
    assert server.outbox(pool_id, f"{username}@example.com")


def test_pycognito_sign_up_confirmed_by_pre_sign_up_signs_in_at_once(
    server: Server, script: TriggerScript, pool: tuple[str, str]
) -> None:
    pool_id, client_id = pool
    script.set(pre_sign_up={"response": {"autoConfirmUser": True, "autoVerifyEmail": True}})
    username = unique()
    cognito = pycognito.Cognito(
        pool_id,
        client_id,
        botocore_config=Config(signature_version=UNSIGNED),
        boto3_client_kwargs={"endpoint_url": server.url, "region_name": REGION},
    )
    cognito.set_base_attributes(email=f"{username}@example.com")
    out = cognito.register(username, PASSWORD)
    assert out["UserConfirmed"] is True
    assert "CodeDeliveryDetails" not in out
    signed_in = pycognito.Cognito(
        pool_id,
        client_id,
        username=username,
        botocore_config=Config(signature_version=UNSIGNED),
        boto3_client_kwargs={"endpoint_url": server.url, "region_name": REGION},
    )
    signed_in.authenticate(PASSWORD)  # SRP, right after SignUp: no code, no confirmation
    assert signed_in.access_token
    user = user_of(server, pool_id, username)
    assert user["UserStatus"] == "CONFIRMED"
    assert as_dict(user["UserAttributes"])["email_verified"] == "true"
    assert server.outbox(pool_id, f"{username}@example.com") == []
    # Cognito: a user PreSignUp confirmed never goes through PostConfirmation.
    assert script.events("post_confirmation") == []


def test_hosted_sign_up_confirmed_by_pre_sign_up_signs_in(
    server: Server, script: TriggerScript
) -> None:
    hosted = hosted_client(server, pool={"LambdaConfig": TRIGGERS})
    script.set(pre_sign_up={"response": {"autoConfirmUser": True}})
    username = unique()
    with hosted.http() as http:
        page = http.get(page_url(hosted, "/signup"))
        assert page.status_code == 200, page.text[:2000]
        answer = submit(
            http,
            page,
            "signup-form",
            username=username,
            password=PASSWORD,
            email=f"{username}@example.com",
        )
    # As after confirming with a code on these pages: signed in, mamori's code to the client.
    assert answer.status_code == 303, answer.text[:2000]
    location = answer.headers["location"]
    assert location.startswith(hosted.redirect_uri + "?") and "code=" in location
    [event] = script.events("pre_sign_up")
    assert event["triggerSource"] == "PreSignUp_SignUp"
    assert event["callerContext"]["clientId"] == hosted.client_id
    assert user_of(server, hosted.pool_id, username)["UserStatus"] == "CONFIRMED"
    assert server.outbox(hosted.pool_id, f"{username}@example.com") == []


def test_auto_verify_counts_only_with_auto_confirm(
    server: Server, script: TriggerScript, pool: tuple[str, str]
) -> None:
    pool_id, client_id = pool
    script.set(pre_sign_up={"response": {"autoVerifyEmail": True}})
    username = unique()
    assert sign_up(server, client_id, username)["UserConfirmed"] is False
    user = user_of(server, pool_id, username)
    assert user["UserStatus"] == "UNCONFIRMED"
    assert as_dict(user["UserAttributes"]).get("email_verified") != "true"


def test_auto_verified_phone_needs_a_phone(
    server: Server, script: TriggerScript, pool: tuple[str, str]
) -> None:
    pool_id, client_id = pool
    script.set(pre_sign_up={"response": {"autoConfirmUser": True, "autoVerifyPhone": True}})
    username = unique()
    with pytest.raises(ClientError) as exc:
        sign_up(server, client_id, username)
    assert error(exc)[0] == "InvalidParameterException"
    assert no_user(server, pool_id, username)


def test_auto_verified_email_moves_from_its_owner(server: Server, script: TriggerScript) -> None:
    pool_id = make_pool(server, LambdaConfig=TRIGGERS, AliasAttributes=["email"])["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    script.set(pre_sign_up={"response": {"autoConfirmUser": True, "autoVerifyEmail": True}})
    address = f"{unique()}@example.com"
    first, second = unique(), unique()
    sign_up(server, client_id, first, UserAttributes=attrs(email=address))
    assert sign_in(server, client_id, address)["AccessToken"]  # the alias is the first's
    sign_up(server, client_id, second, UserAttributes=attrs(email=address))
    assert as_dict(user_of(server, pool_id, first)["UserAttributes"])["email_verified"] == "false"
    tokens = sign_in(server, client_id, address)
    me = server.public().get_user(AccessToken=tokens["AccessToken"])
    assert me["Username"] == second


def test_a_taken_email_username_is_refused_and_its_owner_unchanged(
    server: Server, script: TriggerScript
) -> None:
    """Where the email is the username, auto-verify never takes it over: the sign-up is a
    taken username, and the holder's record (its verified email) is left as it was."""
    pool_id = make_pool(server, LambdaConfig=TRIGGERS, UsernameAttributes=["email"])["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    script.set(pre_sign_up={"response": {"autoConfirmUser": True, "autoVerifyEmail": True}})
    address = f"{unique()}@example.com"
    sign_up(server, client_id, address, UserAttributes=attrs(email=address))
    holder = user_of(server, pool_id, address)
    assert as_dict(holder["UserAttributes"])["email_verified"] == "true"
    with pytest.raises(ClientError) as exc:
        sign_up(server, client_id, address, UserAttributes=attrs(email=address))
    assert error(exc)[0] == "UsernameExistsException"
    after = user_of(server, pool_id, address)
    assert after["Username"] == holder["Username"]
    assert as_dict(after["UserAttributes"])["email_verified"] == "true"
    assert sign_in(server, client_id, address)["AccessToken"]


def test_refusing_pre_sign_up_leaves_no_user_and_sends_nothing(
    server: Server, script: TriggerScript, pool: tuple[str, str]
) -> None:
    pool_id, client_id = pool
    script.set(pre_sign_up={"raise": "not on the list"})
    username = unique()
    with pytest.raises(ClientError) as exc:
        sign_up(server, client_id, username)
    assert error(exc) == REFUSED
    assert no_user(server, pool_id, username)
    assert server.outbox(pool_id, f"{username}@example.com") == []
    # The same sign-up once the function lets it through (the control).
    script.set(pre_sign_up={})
    sign_up(server, client_id, username)
    assert user_of(server, pool_id, username)["UserStatus"] == "UNCONFIRMED"
    assert server.outbox(pool_id, f"{username}@example.com")


def test_garbage_from_pre_sign_up_leaves_no_user(
    server: Server, script: TriggerScript, pool: tuple[str, str]
) -> None:
    pool_id, client_id = pool
    script.set(pre_sign_up={"answer": "yes please"})
    username = unique()
    with pytest.raises(ClientError) as exc:
        sign_up(server, client_id, username)
    assert error(exc)[0] == "InvalidLambdaResponseException"
    assert no_user(server, pool_id, username)
    assert server.outbox(pool_id, f"{username}@example.com") == []


# --- PreSignUp_AdminCreateUser
def test_admin_create_user_asks_pre_sign_up(
    server: Server, script: TriggerScript, pool: tuple[str, str]
) -> None:
    pool_id, _ = pool
    script.set(pre_sign_up={"response": {"autoConfirmUser": True}})
    username = unique()
    server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=attrs(email=f"{username}@example.com"),
        ValidationData=attrs(ticket="9"),
        ClientMetadata={"by": "ops"},
        DesiredDeliveryMediums=["EMAIL"],
    )
    [event] = script.events("pre_sign_up")
    assert event["triggerSource"] == "PreSignUp_AdminCreateUser"
    assert event["callerContext"]["clientId"] == "CLIENT_ID_NOT_APPLICABLE"
    assert event["request"]["validationData"] == {"ticket": "9"}
    assert event["request"]["clientMetadata"] == {"by": "ops"}
    # Cognito: the answer's flags are not read for AdminCreateUser.
    assert user_of(server, pool_id, username)["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert server.outbox(pool_id, f"{username}@example.com")


def test_refusing_pre_sign_up_creates_and_invites_nobody(
    server: Server, script: TriggerScript, pool: tuple[str, str]
) -> None:
    pool_id, _ = pool
    script.set(pre_sign_up={"raise": "not on the list"})
    username = unique()
    with pytest.raises(ClientError) as exc:
        server.admin().admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            UserAttributes=attrs(email=f"{username}@example.com"),
            DesiredDeliveryMediums=["EMAIL"],
        )
    assert error(exc) == REFUSED
    assert no_user(server, pool_id, username)
    assert server.outbox(pool_id, f"{username}@example.com") == []


# --- PostConfirmation
def test_confirm_sign_up_tells_post_confirmation(
    server: Server, script: TriggerScript, pool: tuple[str, str]
) -> None:
    pool_id, client_id = pool
    username = unique()
    address = f"{username}@example.com"
    sub = sign_up(server, client_id, username)["UserSub"]
    server.public().confirm_sign_up(
        ClientId=client_id,
        Username=username,
        ConfirmationCode=server.latest_code(pool_id, address),
        ClientMetadata={"from": "app"},
    )
    [event] = script.events("post_confirmation")
    assert event["triggerSource"] == "PostConfirmation_ConfirmSignUp"
    assert event["userName"] == username
    assert event["callerContext"]["clientId"] == client_id
    attributes = event["request"]["userAttributes"]
    assert attributes["sub"] == sub and attributes["email"] == address
    assert attributes["email_verified"] == "true"
    assert attributes["cognito:user_status"] == "CONFIRMED"
    assert event["request"]["clientMetadata"] == {"from": "app"}


def test_failing_post_confirmation_keeps_the_confirmation(
    server: Server, script: TriggerScript, pool: tuple[str, str]
) -> None:
    pool_id, client_id = pool
    script.set(post_confirmation={"raise": "profile store down"})
    username = unique()
    sign_up(server, client_id, username)
    with pytest.raises(ClientError) as exc:
        server.public().confirm_sign_up(
            ClientId=client_id,
            Username=username,
            ConfirmationCode=server.latest_code(pool_id, f"{username}@example.com"),
        )
    assert error(exc) == (
        "UserLambdaValidationException",
        "PostConfirmation failed with error profile store down.",
    )
    assert user_of(server, pool_id, username)["UserStatus"] == "CONFIRMED"
    assert sign_in(server, client_id, username)["AccessToken"]


def test_admin_confirm_sign_up_tells_post_confirmation(
    server: Server, script: TriggerScript, pool: tuple[str, str]
) -> None:
    pool_id, client_id = pool
    username = unique()
    sign_up(server, client_id, username)
    server.admin().admin_confirm_sign_up(
        UserPoolId=pool_id, Username=username, ClientMetadata={"by": "support"}
    )
    [event] = script.events("post_confirmation")
    assert event["triggerSource"] == "PostConfirmation_ConfirmSignUp"
    assert event["callerContext"]["clientId"] == "CLIENT_ID_NOT_APPLICABLE"
    assert event["request"]["clientMetadata"] == {"by": "support"}
    assert event["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"


def test_confirm_forgot_password_tells_post_confirmation(
    server: Server, script: TriggerScript, pool: tuple[str, str]
) -> None:
    pool_id, client_id = pool
    script.set(pre_sign_up={"response": {"autoConfirmUser": True, "autoVerifyEmail": True}})
    username = unique()
    address = f"{username}@example.com"
    sign_up(server, client_id, username)
    server.public().forgot_password(ClientId=client_id, Username=username)
    server.public().confirm_forgot_password(
        ClientId=client_id,
        Username=username,
        ConfirmationCode=server.latest_code(pool_id, address),
        Password=PASSWORD + "x",
        ClientMetadata={"reset": "1"},
    )
    [event] = script.events("post_confirmation")
    assert event["triggerSource"] == "PostConfirmation_ConfirmForgotPassword"
    assert event["request"]["clientMetadata"] == {"reset": "1"}
    assert event["request"]["userAttributes"]["email"] == address
    assert sign_in(server, client_id, username, PASSWORD + "x")["AccessToken"]


# --- PreSignUp_ExternalProvider: a provider's first sign-in (panva's oidc-provider, httpx)
CALLBACK = "http://localhost:3000/callback"


@pytest.fixture(scope="module")
def federated(
    live: tuple[Server, TriggerScript], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, str, str, StandIn]]:
    server = live[0]
    pool_id = make_pool(server, LambdaConfig=TRIGGERS)["Id"]
    server.admin().create_user_pool_domain(Domain=f"su-{secrets.token_hex(4)}", UserPoolId=pool_id)
    secret = secrets.token_urlsafe(24)
    redirect = f"{server.url}/{pool_id}/oauth2/idpresponse"
    with oidc_stand_in(
        tmp_path_factory.mktemp("oidc"), [client("mamori-rp", secret, [redirect])]
    ) as provider:
        make_oidc_provider(
            server,
            pool_id,
            "Corp",
            "mamori-rp",
            secret,
            provider.issuer,
            AttributeMapping={"email": "email", "name": "name"},
        )
        client_id = make_code_client(server, pool_id, CALLBACK, ["COGNITO", "Corp"])
        yield server, pool_id, client_id, provider


def provider_sign_in(server: Server, pool_id: str, client_id: str) -> tuple[dict[str, str], str]:
    """The browser's dance through the provider: the callback's query, and the PKCE verifier."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    query = urllib.parse.urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": CALLBACK,
            "scope": "openid email profile",
            "state": "app-state",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "identity_provider": "Corp",
        }
    )
    with httpx.Client() as browser:
        response = browser.get(f"{server.url}/{pool_id}/oauth2/authorize?{query}")
        for _ in range(10):
            location = response.headers.get("location")
            assert response.status_code in (302, 303) and location, response.text[:300]
            target = str(response.url.join(location))
            if target.startswith(CALLBACK):
                back = urllib.parse.urlsplit(target).query
                return dict(urllib.parse.parse_qsl(back)), verifier
            response = browser.get(target)
    raise AssertionError("too many redirects")


def test_provider_first_sign_in_asks_pre_sign_up(
    federated: tuple[Server, str, str, StandIn], script: TriggerScript
) -> None:
    server, pool_id, client_id, provider = federated
    subject = f"bob-{secrets.token_hex(3)}"
    username = f"Corp_{subject}"
    provider.sign_in_as(subject, email=f"{subject}@corp.example", name="Bob")
    script.set(pre_sign_up={"raise": "not on the list"})
    back, _ = provider_sign_in(server, pool_id, client_id)
    assert back["error"] == "invalid_request"
    # Cognito's observed redirect: the message with a space after it.
    assert back["error_description"] == "PreSignUp failed with error not on the list. "
    assert back["state"] == "app-state"
    assert no_user(server, pool_id, username)
    # Let through (the control): the user is made, and told about once.
    script.set(pre_sign_up={})
    provider.sign_in_as(subject, email=f"{subject}@corp.example", name="Bob")
    back, verifier = provider_sign_in(server, pool_id, client_id)
    base = f"{server.url}/{pool_id}"
    assert redeem_code(base, client_id, back["code"], CALLBACK, verifier)["id_token"]
    events = script.events("pre_sign_up")
    assert len(events) == 2
    event = events[-1]
    assert event["triggerSource"] == "PreSignUp_ExternalProvider"
    assert event["userName"] == username
    assert event["callerContext"]["clientId"] == client_id
    assert event["request"]["userAttributes"] == {
        "email": f"{subject}@corp.example",
        "name": "Bob",
    }
    assert user_of(server, pool_id, username)["UserStatus"] == "EXTERNAL_PROVIDER"
    provider.sign_in_as(subject, email=f"{subject}@corp.example", name="Bob")
    provider_sign_in(server, pool_id, client_id)
    assert len(script.events("pre_sign_up")) == 2  # a returning user is not asked again
