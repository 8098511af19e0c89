"""PreTokenGeneration V1_0, V2_0 and V3_0 against a live server (boto3), the function run
in-process (tests/support/triggers.py): claims and scopes it changes are in tokens verified with
the pool's JWKS (PyJWT), protected claims stay Cognito's, and a failing function issues nothing."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import error
from tests.support.factories import PASSWORD, make_client, make_pool, make_user, sign_in
from tests.support.hosted_pages import hosted_client, page_url, submit
from tests.support.live import Server
from tests.support.tokens import verify
from tests.support.triggers import TriggerScript, lambda_config

FUNCTION = "pre_token_generation"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B


# live, server and script: conftest.py (every test function in-process, both databases).


def pool_with(server: Server, version: str | None, **more: Any) -> tuple[str, str, str]:
    """(pool id, client id, username of a confirmed user in group `staff`); `version`: the
    PreTokenGenerationConfig's LambdaVersion, None for the old PreTokenGeneration member."""
    if version is None:
        config = lambda_config(PreTokenGeneration=FUNCTION)
    else:
        config = lambda_config(version, PreTokenGenerationConfig=FUNCTION)
    pool_id = make_pool(server, LambdaConfig=config, **more)["Id"]
    client_id = make_client(server, pool_id)["ClientId"]
    username = make_user(server, pool_id, attributes={"name": "Aiko"})
    admin = server.admin()
    admin.create_group(UserPoolId=pool_id, GroupName="staff")
    admin.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName="staff")
    return pool_id, client_id, username


def test_v2_claims_and_scopes_in_tokens_verified_with_jwks(
    server: Server, script: TriggerScript
) -> None:
    pool_id, client_id, username = pool_with(server, "V2_0")
    baseline = sign_in(server, client_id, username)  # the function answers nothing yet
    before = verify(server, pool_id, baseline["AccessToken"])
    script.set(
        pre_token_generation={
            "response": {
                "claimsAndScopeOverrideDetails": {
                    "idTokenGeneration": {
                        "claimsToAddOrOverride": {"tenant": "acme", "name": "Override", "n": 3},
                        "claimsToSuppress": ["email"],
                    },
                    "accessTokenGeneration": {
                        "claimsToAddOrOverride": {"plan": "gold", "roles": ["a", "b"]},
                        "scopesToAdd": ["orders/read"],
                        "scopesToSuppress": ["aws.cognito.signin.user.admin"],
                    },
                    "groupOverrideDetails": {"groupsToOverride": ["vip"]},
                }
            }
        }
    )
    tokens = sign_in(server, client_id, username)
    id_claims = verify(server, pool_id, tokens["IdToken"], audience=client_id)
    access = verify(server, pool_id, tokens["AccessToken"])
    assert id_claims["tenant"] == "acme" and id_claims["name"] == "Override" and id_claims["n"] == 3
    assert "email" not in id_claims and "plan" not in id_claims
    assert access["plan"] == "gold" and access["roles"] == ["a", "b"]
    assert access["scope"] == "orders/read"
    assert id_claims["cognito:groups"] == access["cognito:groups"] == ["vip"]
    # The event: V2's shape, with what the tokens would have carried.
    event = script.events(FUNCTION)[-1]
    assert event["version"] == "2" and event["triggerSource"] == "TokenGeneration_Authentication"
    assert event["userName"] == username and event["callerContext"]["clientId"] == client_id
    request = event["request"]
    assert request["userAttributes"]["name"] == "Aiko"
    assert request["groupConfiguration"]["groupsToOverride"] == ["staff"]
    assert request["scopes"] == ["aws.cognito.signin.user.admin"]
    assert event["response"] == {"claimsAndScopeOverrideDetails": None}
    # Positive control: without an answer the same sign-in keeps Cognito's claims.
    assert before["scope"] == "aws.cognito.signin.user.admin" and "plan" not in before


def test_protected_claims_stay_as_cognito_made_them(server: Server, script: TriggerScript) -> None:
    pool_id, client_id, username = pool_with(server, "V2_0")
    protected = {
        name: "forged"
        for name in (
            "sub",
            "iss",
            "aud",
            "token_use",
            "exp",
            "iat",
            "auth_time",
            "jti",
            "origin_jti",
            "client_id",
            "username",
            "cognito:username",
            "scope",
        )
    }
    script.set(
        pre_token_generation={
            "response": {
                "claimsAndScopeOverrideDetails": {
                    "idTokenGeneration": {
                        "claimsToAddOrOverride": {**protected, "ok": "yes"},
                        "claimsToSuppress": ["sub", "iss", "cognito:username"],
                    },
                    "accessTokenGeneration": {
                        "claimsToAddOrOverride": {**protected, "ok": "yes"},
                        "claimsToSuppress": ["client_id", "username", "jti"],
                    },
                }
            }
        }
    )
    tokens = sign_in(server, client_id, username)
    id_claims = verify(server, pool_id, tokens["IdToken"], audience=client_id)
    access = verify(server, pool_id, tokens["AccessToken"])
    assert id_claims["ok"] == access["ok"] == "yes"  # the answer was applied
    assert id_claims["cognito:username"] == access["username"] == username
    assert id_claims["token_use"] == "id" and access["token_use"] == "access"
    assert access["client_id"] == client_id and access["scope"] == "aws.cognito.signin.user.admin"
    assert id_claims["sub"] == access["sub"] != "forged"
    assert isinstance(access["exp"], int) and isinstance(id_claims["iat"], int)
    assert "forged" not in {str(v) for v in [*id_claims.values(), *access.values()]}


def test_v1_changes_the_id_token_only(server: Server, script: TriggerScript) -> None:
    pool_id, client_id, username = pool_with(server, None)  # PreTokenGeneration: V1_0
    script.set(
        pre_token_generation={
            "response": {
                "claimsOverrideDetails": {
                    "claimsToAddOrOverride": {"tenant": "acme"},
                    "claimsToSuppress": ["name"],
                    "groupOverrideDetails": {
                        "groupsToOverride": ["g1", "g2"],
                        "iamRolesToOverride": ["arn:aws:iam::1:role/r"],
                        "preferredRole": "arn:aws:iam::1:role/r",
                    },
                }
            }
        }
    )
    tokens = sign_in(server, client_id, username)
    id_claims = verify(server, pool_id, tokens["IdToken"], audience=client_id)
    access = verify(server, pool_id, tokens["AccessToken"])
    assert id_claims["tenant"] == "acme" and "name" not in id_claims
    assert id_claims["cognito:groups"] == access["cognito:groups"] == ["g1", "g2"]
    assert id_claims["cognito:preferred_role"] == "arn:aws:iam::1:role/r"
    assert "tenant" not in access
    event = script.events(FUNCTION)[-1]
    assert event["version"] == "1" and "scopes" not in event["request"]
    assert event["response"] == {"claimsOverrideDetails": None}


def test_refresh_fires_refresh_tokens_source(server: Server, script: TriggerScript) -> None:
    pool_id, client_id, username = pool_with(server, "V2_0")
    first = sign_in(server, client_id, username)
    script.set(
        pre_token_generation={
            "response": {
                "claimsAndScopeOverrideDetails": {
                    "accessTokenGeneration": {"claimsToAddOrOverride": {"fresh": "yes"}}
                }
            }
        }
    )
    refreshed = server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )["AuthenticationResult"]
    assert verify(server, pool_id, refreshed["AccessToken"])["fresh"] == "yes"
    sources = [e["triggerSource"] for e in script.events(FUNCTION)]
    assert sources == ["TokenGeneration_Authentication", "TokenGeneration_RefreshTokens"]


def test_new_password_challenge_source(server: Server, script: TriggerScript) -> None:
    pool_id = make_pool(
        server, LambdaConfig=lambda_config("V2_0", PreTokenGenerationConfig=FUNCTION)
    )["Id"]
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
    )
    assert started["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert script.events(FUNCTION) == []  # no tokens yet, no event
    public.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=started["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": PASSWORD + "2"},
    )
    assert [e["triggerSource"] for e in script.events(FUNCTION)] == [
        "TokenGeneration_NewPasswordChallenge"
    ]


def test_failing_function_issues_no_tokens(server: Server, script: TriggerScript) -> None:
    _, client_id, username = pool_with(server, "V2_0")
    script.set(pre_token_generation={"raise": "no tokens today"})
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username)
    assert error(exc) == (
        "UserLambdaValidationException",
        "PreTokenGeneration failed with error no tokens today.",
    )
    script.set(pre_token_generation={"answer": {"response": {"claimsAndScopeOverrideDetails": 7}}})
    with pytest.raises(ClientError) as exc:
        sign_in(server, client_id, username)
    assert error(exc)[0] == "InvalidLambdaResponseException"
    script.set(pre_token_generation={})
    assert sign_in(server, client_id, username)["AccessToken"]  # positive control


def machine_client(server: Server, pool_id: str) -> dict[str, Any]:
    server.admin().create_resource_server(
        UserPoolId=pool_id,
        Identifier="orders",
        Name="Orders",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}],
    )
    return make_client(
        server,
        pool_id,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=["orders/read"],
    )


@pytest.mark.parametrize("version", ["V2_0", "V3_0"])
def test_client_credentials_only_with_v3(
    server: Server, script: TriggerScript, version: str
) -> None:
    pool_id = make_pool(
        server, LambdaConfig=lambda_config(version, PreTokenGenerationConfig=FUNCTION)
    )["Id"]
    client = machine_client(server, pool_id)
    script.set(
        pre_token_generation={
            "response": {
                "claimsAndScopeOverrideDetails": {
                    "accessTokenGeneration": {
                        "claimsToAddOrOverride": {"machine": "yes"},
                        "scopesToAdd": ["extra/scope"],
                    }
                }
            }
        }
    )
    out = server.public().get_client_token(
        ClientId=client["ClientId"], Secret=client["ClientSecret"]
    )["ClientAuthenticationResult"]
    claims = verify(server, pool_id, out["AccessToken"])
    events = script.events(FUNCTION)
    if version == "V3_0":
        assert claims["machine"] == "yes" and claims["scope"] == "orders/read extra/scope"
        assert [e["triggerSource"] for e in events] == ["TokenGeneration_ClientCredentials"]
        assert events[0]["version"] == "3" and events[0]["request"]["scopes"] == ["orders/read"]
    else:
        assert "machine" not in claims and claims["scope"] == "orders/read"
        assert events == []


def test_client_credentials_failure_at_token_endpoint(
    server: Server, script: TriggerScript
) -> None:
    pool_id = make_pool(
        server, LambdaConfig=lambda_config("V3_0", PreTokenGenerationConfig=FUNCTION)
    )["Id"]
    server.admin().create_user_pool_domain(Domain=f"m-{pool_id[-6:].lower()}", UserPoolId=pool_id)
    client = machine_client(server, pool_id)
    basic = base64.b64encode(f"{client['ClientId']}:{client['ClientSecret']}".encode()).decode()

    def token() -> tuple[int, dict[str, Any]]:
        body = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
        req = urllib.request.Request(
            f"{server.url}/{pool_id}/oauth2/token",
            data=body,
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.load(resp)
        except urllib.error.HTTPError as err:
            return err.code, json.load(err)

    script.set(pre_token_generation={"raise": "machines not welcome"})
    status, answer = token()
    assert status == 400 and answer["error"] == "access_denied"
    assert "access_token" not in answer
    script.set(pre_token_generation={})
    status, answer = token()
    assert status == 200 and answer["access_token"]


def test_hosted_auth_code_flow(server: Server, script: TriggerScript) -> None:
    config = lambda_config("V2_0", PreTokenGenerationConfig=FUNCTION)
    hosted = hosted_client(server, pool={"LambdaConfig": config})
    username = make_user(server, hosted.pool_id)
    script.set(
        pre_token_generation={
            "response": {
                "claimsAndScopeOverrideDetails": {
                    "idTokenGeneration": {"claimsToAddOrOverride": {"via": "hosted"}}
                }
            }
        }
    )

    def code_and_tokens() -> httpx.Response:
        with hosted.http() as http:
            page = http.get(page_url(hosted, "/login"))
            answer = submit(
                http, page, "login-form", username=username, password=PASSWORD, action="password"
            )
            assert answer.status_code == 303, answer.text[:2000]
            location = urllib.parse.urlsplit(answer.headers["location"])
            code = dict(urllib.parse.parse_qsl(location.query))["code"]
            return http.post(
                f"{hosted.by_path}/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "client_id": hosted.client_id,
                    "code": code,
                    "redirect_uri": hosted.redirect_uri,
                    "code_verifier": VERIFIER,
                },
            )

    tokens = code_and_tokens()
    assert tokens.status_code == 200, tokens.text
    claims = verify(server, hosted.pool_id, tokens.json()["id_token"], audience=hosted.client_id)
    assert claims["via"] == "hosted"
    assert [e["triggerSource"] for e in script.events(FUNCTION)] == ["TokenGeneration_HostedAuth"]
    script.set(pre_token_generation={"raise": "not from the pages"})
    refused = code_and_tokens()
    assert refused.status_code == 400 and refused.json()["error"] == "access_denied"
    assert "id_token" not in refused.json()
