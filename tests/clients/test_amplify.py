"""Real JS clients, unmodified, in Node against the live server: Amplify v6 (aws-amplify/auth)
and amazon-cognito-identity-js, password sign-in through refresh and sign-out."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.factories import PASSWORD, make_client, make_pool, make_user
from tests.support.live import Server
from tests.support.tokens import unverified, verify

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js"),
]

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
USER_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]


def run_node(script: str, config: dict[str, Any]) -> list[dict[str, Any]]:
    """Run one harness script; its step lines (with "ok"), in order."""
    proc = subprocess.run(
        ["node", str(NODE_DIR / script), "-"],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=NODE_DIR,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    steps = [line for line in lines if "ok" in line]
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    for step in steps:
        if not step["ok"]:
            wanted = [s for s in config["steps"] if s.get("name", s["op"]) == step["step"]]
            if not (wanted and wanted[0].get("expectError")):
                raise AssertionError(f"{script} step {step['step']} failed: {step}\n{proc.stderr}")
    return steps


def by_name(steps: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["step"]: s for s in steps}


def ops(step: dict[str, Any]) -> list[tuple[str, int]]:
    return [(c["op"], c["status"]) for c in step.get("calls", [])]


def refused(server: Server, access_token: str) -> None:
    with pytest.raises(ClientError) as exc:
        server.public().get_user(AccessToken=access_token)
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"


@pytest.fixture(scope="module")
def pool(server: Server) -> dict[str, Any]:
    return make_pool(server, AutoVerifiedAttributes=["email"])


@pytest.fixture(scope="module")
def client_id(server: Server, pool: dict[str, Any]) -> str:
    return str(make_client(server, pool["Id"], ExplicitAuthFlows=USER_FLOWS)["ClientId"])


def amplify(server: Server, pool_id: str, client_id: str, steps: list[dict[str, Any]]) -> Any:
    return by_name(
        run_node(
            "amplify.mjs",
            {"endpoint": server.url, "userPoolId": pool_id, "clientId": client_id, "steps": steps},
        )
    )


def test_amplify_sign_up_confirm_sign_in_refresh_attributes_sign_out(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    pool_id = pool["Id"]
    username = f"amp-{secrets.token_hex(3)}"
    email = f"{username}@example.com"
    signed_up = amplify(
        server,
        pool_id,
        client_id,
        [
            {
                "op": "signUp",
                "username": username,
                "password": PASSWORD,
                "attributes": {"email": email},
            }
        ],
    )["signUp"]
    assert signed_up["result"]["nextStep"]["signUpStep"] == "CONFIRM_SIGN_UP"
    code = server.latest_code(pool_id, email)

    steps = amplify(
        server,
        pool_id,
        client_id,
        [
            {"op": "confirmSignUp", "username": username, "code": code},
            {"op": "signIn", "username": username, "password": PASSWORD},
            {"op": "getCurrentUser"},
            {"name": "session", "op": "fetchAuthSession"},
            {"name": "refreshed", "op": "fetchAuthSession", "forceRefresh": True},
            {"op": "fetchUserAttributes"},
            {"op": "updateUserAttributes", "attributes": {"given_name": "Amplified"}},
            {"name": "attributesAfter", "op": "fetchUserAttributes"},
            {"op": "signOut"},
        ],
    )
    assert steps["confirmSignUp"]["result"]["isSignUpComplete"] is True
    sign_in = steps["signIn"]
    assert sign_in["result"]["isSignedIn"] is True
    assert ("InitiateAuth", 200) in ops(sign_in)
    assert [c.get("flow") for c in sign_in["calls"]] == ["USER_PASSWORD_AUTH"]
    assert steps["getCurrentUser"]["result"]["username"] == username

    session = steps["session"]["result"]
    id_claims = verify(server, pool_id, session["idToken"], audience=client_id)
    assert id_claims["cognito:username"] == username
    assert session["userSub"] == id_claims["sub"]

    refreshed = steps["refreshed"]
    # Amplify v6 refreshes with GetTokensFromRefreshToken.
    assert ops(refreshed) == [("GetTokensFromRefreshToken", 200)]
    new_access = refreshed["result"]["accessToken"]
    assert new_access != session["accessToken"]
    assert unverified(new_access)["origin_jti"] == unverified(session["accessToken"])["origin_jti"]

    attrs = steps["fetchUserAttributes"]["result"]
    assert attrs["email"] == email and attrs["email_verified"] == "true" and attrs["sub"]
    assert steps["attributesAfter"]["result"]["given_name"] == "Amplified"

    # signOut(): local, plus RevokeToken for the session (its tokens carry origin_jti).
    assert ("RevokeToken", 200) in ops(steps["signOut"])
    for token in (session["accessToken"], new_access):
        refused(server, token)


def test_amplify_global_sign_out(server: Server, pool: dict[str, Any], client_id: str) -> None:
    pool_id = pool["Id"]
    username = make_user(server, pool_id)
    elsewhere = server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    steps = amplify(
        server,
        pool_id,
        client_id,
        [
            {"op": "signIn", "username": username, "password": PASSWORD},
            {"name": "session", "op": "fetchAuthSession"},
            {"op": "signOut", "global": True},
        ],
    )
    assert ("GlobalSignOut", 200) in ops(steps["signOut"])
    # Amplify swallows sign-out errors: check from here that the tokens really are dead,
    # including those of the user's other session.
    refused(server, steps["session"]["result"]["accessToken"])
    refused(server, elsewhere["AccessToken"])


def test_amplify_new_password_required(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    pool_id = pool["Id"]
    username = f"amp-invited-{secrets.token_hex(3)}"
    server.admin().admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword="Temp0rary-Pass!",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    steps = amplify(
        server,
        pool_id,
        client_id,
        [
            {"op": "signIn", "username": username, "password": "Temp0rary-Pass!"},
            {"op": "confirmSignIn", "challengeResponse": "Brand-New-Passw0rd!"},
            {"name": "session", "op": "fetchAuthSession"},
        ],
    )
    next_step = steps["signIn"]["result"]["nextStep"]
    assert next_step["signInStep"] == "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED"
    confirmed = steps["confirmSignIn"]
    assert confirmed["result"]["isSignedIn"] is True
    assert [(c["op"], c.get("challenge"), c["status"]) for c in confirmed["calls"]] == [
        ("RespondToAuthChallenge", "NEW_PASSWORD_REQUIRED", 200)
    ]
    access = steps["session"]["result"]["accessToken"]
    assert server.public().get_user(AccessToken=access)["Username"] == username
    got = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    assert got["UserStatus"] == "CONFIRMED"


def test_amplify_sees_wrong_passwords_as_cognito_errors(
    server: Server, pool: dict[str, Any], client_id: str
) -> None:
    username = make_user(server, pool["Id"])
    steps = amplify(
        server,
        pool["Id"],
        client_id,
        [
            {
                "op": "signIn",
                "username": username,
                "password": "Wr0ng-Password!",
                "expectError": True,
            }
        ],
    )
    error = steps["signIn"]["error"]
    assert error["name"] == "NotAuthorizedException"
    assert error["message"] == "Incorrect username or password."


def test_amazon_cognito_identity_js(server: Server, pool: dict[str, Any], client_id: str) -> None:
    pool_id = pool["Id"]
    username = make_user(server, pool_id, attributes={"given_name": "Legacy"})
    steps = by_name(
        run_node(
            "cognito_identity_js.mjs",
            {
                "endpoint": server.url,
                "userPoolId": pool_id,
                "clientId": client_id,
                "steps": [
                    {
                        "op": "authenticateUser",
                        "username": username,
                        "password": PASSWORD,
                        "authenticationFlowType": "USER_PASSWORD_AUTH",
                    },
                    {"op": "getSession"},
                    {"op": "refreshSession"},
                    {"op": "getUserAttributes"},
                    {"op": "globalSignOut"},
                ],
            },
        )
    )
    signed = steps["authenticateUser"]
    assert signed["result"]["callbacks"] == ["onSuccess"]
    assert [c.get("flow") for c in signed["calls"]] == ["USER_PASSWORD_AUTH"]
    first = signed["result"]["session"]
    assert first["isValid"] and first["refreshToken"]
    assert first["idTokenPayload"]["cognito:username"] == username
    assert steps["getSession"]["result"]["accessToken"] == first["accessToken"]

    refreshed = steps["refreshSession"]
    # REFRESH_TOKEN_AUTH, with AuthParameters.DEVICE_KEY sent as JSON null.
    assert [(c["op"], c.get("flow"), c["status"]) for c in refreshed["calls"]] == [
        ("InitiateAuth", "REFRESH_TOKEN_AUTH", 200)
    ]
    fresh = refreshed["result"]
    assert fresh["accessToken"] != first["accessToken"]
    assert fresh["refreshToken"] == first["refreshToken"]  # kept: no rotation
    assert fresh["accessTokenPayload"]["origin_jti"] == first["accessTokenPayload"]["origin_jti"]
    assert steps["getUserAttributes"]["result"]["given_name"] == "Legacy"

    assert ("GlobalSignOut", 200) in ops(steps["globalSignOut"])
    for token in (first["accessToken"], fresh["accessToken"]):
        refused(server, token)
