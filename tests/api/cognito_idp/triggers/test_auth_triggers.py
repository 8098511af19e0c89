"""PreAuthentication and PostAuthentication against a live server (boto3; pycognito for SRP),
the functions run in-process: their events for password, SRP and passwordless sign-ins, and a
failing one refusing the sign-in with Cognito's error and no tokens."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP
from tests.support.cognito import error
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.hosted_pages import hosted_client, page_url, submit
from tests.support.live import Server
from tests.support.triggers import TriggerScript, lambda_config

TRIGGERS = lambda_config(
    PreAuthentication="pre_authentication",
    PostAuthentication="post_authentication",
    PreTokenGenerationConfig="pre_token_generation",
)


# live, server and script: conftest.py (every test function in-process, both databases).


def setup(server: Server, **client: Any) -> tuple[str, str, str]:
    pool_id = make_pool(server, LambdaConfig=TRIGGERS)["Id"]
    client_id = make_client(server, pool_id, **client)["ClientId"]
    return pool_id, client_id, make_user(server, pool_id, attributes={"name": "Ren"})


def sources(script: TriggerScript) -> list[str]:
    return [e["triggerSource"] for e in script.events()]


def test_password_sign_in_fires_both_in_order(server: Server, script: TriggerScript) -> None:
    pool_id, client_id, username = setup(server)
    assert sign_in(server, client_id, username)["AccessToken"]
    assert sources(script) == [
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
        "TokenGeneration_Authentication",
    ]
    pre, post, _ = script.events()
    assert pre["userName"] == username and pre["userPoolId"] == pool_id
    assert pre["callerContext"]["clientId"] == client_id
    assert pre["request"]["userAttributes"]["name"] == "Ren"
    assert pre["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    assert pre["response"] == {}
    assert post["request"]["newDeviceUsed"] is False
    assert post["request"]["userAttributes"]["email"] == f"{username}@example.com"


def test_wrong_password_never_reaches_post(server: Server, script: TriggerScript) -> None:
    _, client_id, username = setup(server)
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username, "Wrong-pass-1!")
    assert error(exc)[0] == "NotAuthorizedException"
    assert sources(script) == ["PreAuthentication_Authentication"]


def test_failing_pre_authentication_refuses_before_the_password(
    server: Server, script: TriggerScript
) -> None:
    _, client_id, username = setup(server)
    script.set(pre_authentication={"raise": "blocked client"})
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username)
    assert error(exc) == (
        "UserLambdaValidationException",
        "PreAuthentication failed with error blocked client.",
    )
    assert sources(script) == ["PreAuthentication_Authentication"]  # nothing issued
    script.set(pre_authentication={})
    assert sign_in(server, client_id, username)["AccessToken"]  # positive control


def test_failing_post_authentication_issues_nothing(server: Server, script: TriggerScript) -> None:
    _, client_id, username = setup(server)
    script.set(post_authentication={"raise": "audit down"})
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username)
    assert error(exc) == (
        "UserLambdaValidationException",
        "PostAuthentication failed with error audit down.",
    )
    assert "TokenGeneration_Authentication" not in sources(script)


def test_unknown_user_only_with_prevent_user_existence_errors(
    server: Server, script: TriggerScript
) -> None:
    _, legacy, _ = setup(server)
    with pytest.raises(ClientError) as exc:
        sign_in(server, legacy, "nobody-here")
    assert error(exc)[0] == "UserNotFoundException"
    assert script.events() == []  # Cognito: not called for an unknown user (LEGACY)
    _, hiding, _ = setup(server, PreventUserExistenceErrors="ENABLED")
    with pytest.raises(ClientError) as exc:
        sign_in(server, hiding, "nobody-here")
    assert error(exc)[0] == "NotAuthorizedException"
    (event,) = script.events()
    assert event["request"]["userNotFound"] is True
    assert event["request"]["userAttributes"] == {}


def test_srp_sign_in_fires_both(server: Server, script: TriggerScript) -> None:
    pool_id, client_id, username = setup(server)
    srp = AWSSRP(
        username=username,
        password=PASSWORD,
        pool_id=pool_id,
        client_id=client_id,
        client=server.public(),
    )
    tokens = srp.authenticate_user()["AuthenticationResult"]
    assert tokens["AccessToken"]
    assert sources(script) == [
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
        "TokenGeneration_Authentication",
    ]


def test_srp_refused_by_pre_authentication(server: Server, script: TriggerScript) -> None:
    pool_id, client_id, username = setup(server)
    script.set(pre_authentication={"raise": "no srp"})
    srp = AWSSRP(
        username=username,
        password=PASSWORD,
        pool_id=pool_id,
        client_id=client_id,
        client=server.public(),
    )
    with pytest.raises(ClientError) as exc:
        srp.authenticate_user()
    assert error(exc) == (
        "UserLambdaValidationException",
        "PreAuthentication failed with error no srp.",
    )


def test_passwordless_email_otp(server: Server, script: TriggerScript) -> None:
    pool_id = make_pool(
        server,
        LambdaConfig=TRIGGERS,
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}},
        UserPoolTier="ESSENTIALS",
    )["Id"]
    client_id = make_client(server, pool_id, ExplicitAuthFlows=["ALLOW_USER_AUTH"])["ClientId"]
    username = make_user(server, pool_id)
    public = server.public()
    started = public.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": username, "PREFERRED_CHALLENGE": "EMAIL_OTP"},
    )
    assert started["ChallengeName"] == "EMAIL_OTP"
    assert sources(script) == ["PreAuthentication_Authentication"]
    code = server.latest_code(pool_id, f"{username}@example.com")
    done = public.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="EMAIL_OTP",
        Session=started["Session"],
        ChallengeResponses={"USERNAME": username, "EMAIL_OTP_CODE": code},
    )
    assert done["AuthenticationResult"]["AccessToken"]
    assert sources(script)[1:] == [
        "PostAuthentication_Authentication",
        "TokenGeneration_Authentication",
    ]


def test_client_metadata_is_validation_data(server: Server, script: TriggerScript) -> None:
    _, client_id, username = setup(server)
    server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        ClientMetadata={"app": "kiosk"},
    )
    pre = script.events("pre_authentication")[0]
    assert pre["request"]["validationData"] == {"app": "kiosk"}
    # USER_SRP_AUTH too: PreAuthentication fires at SRP_A, with the same ClientMetadata.
    script.reset()
    srp = AWSSRP(
        username=username,
        password=PASSWORD,
        pool_id="us-east-1_x",
        client_id=client_id,
        client=server.public(),
    )
    server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": username, "SRP_A": format(srp.large_a_value, "x")},
        ClientMetadata={"app": "kiosk"},
    )
    pre = script.events("pre_authentication")[0]
    assert pre["request"]["validationData"] == {"app": "kiosk"}


def test_hosted_pages_fire_both_and_refuse_on_the_form(
    server: Server, script: TriggerScript
) -> None:
    hosted = hosted_client(server, pool={"LambdaConfig": TRIGGERS})
    username = make_user(server, hosted.pool_id)

    def log_in() -> httpx.Response:
        with hosted.http() as http:
            page = http.get(page_url(hosted, "/login"))
            return submit(
                http, page, "login-form", username=username, password=PASSWORD, action="password"
            )

    script.set(pre_authentication={"raise": "not today"})
    refused = log_in()
    assert refused.status_code == 400 and "location" not in refused.headers
    # The function's refusal, as Cognito's managed login shows it.
    assert "PreAuthentication failed with error not today." in refused.text
    assert sources(script) == ["PreAuthentication_Authentication"]
    script.set(pre_authentication={})
    signed_in = log_in()
    assert signed_in.status_code == 303
    assert signed_in.headers["location"].startswith(hosted.redirect_uri + "?code=")
    assert sources(script)[1:] == [
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
    ]  # PreTokenGeneration waits for the code's redemption (TokenGeneration_HostedAuth)


def test_respond_to_auth_challenge_metadata_reaches_post_auth_and_tokens(
    server: Server, script: TriggerScript
) -> None:
    pool_id = make_pool(server, LambdaConfig=TRIGGERS)["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    username = make_user(server, pool_id, confirmed=False)
    server.admin().admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=False
    )
    public = server.public()
    started = public.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        ClientMetadata={"step": "initiate"},
    )
    public.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=started["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": PASSWORD + "2"},
        ClientMetadata={"step": "respond"},
    )
    (post,) = script.events("post_authentication")
    (tokens,) = script.events("pre_token_generation")
    assert post["request"]["clientMetadata"] == {"step": "respond"}
    assert tokens["request"]["clientMetadata"] == {"step": "respond"}
    assert tokens["triggerSource"] == "TokenGeneration_NewPasswordChallenge"
    # Cognito: InitiateAuth's ClientMetadata goes to PreAuthentication only.
    assert script.events("pre_authentication")[0]["request"]["validationData"] == {
        "step": "initiate"
    }
    script.reset()
    sign_in(server, client_id, username, PASSWORD + "2")
    (post,) = script.events("post_authentication")
    assert "clientMetadata" not in post["request"]
