"""InboundFederation against a live server: a company's OpenID Connect provider (panva's
oidc-provider) signs a user in through the pool's domain, the function (in-process) sees what
the provider said and answers the attributes the mapping reads; a failing function ends the
sign-in at the app's callback with Cognito's error=invalid_request and creates nobody."""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError
from tests.support.cognito import as_dict
from tests.support.factories import make_code_client, make_oidc_provider, make_pool
from tests.support.live import Server, run_server
from tests.support.oauth import redeem_code
from tests.support.oidc_stand_in import StandIn, client, oidc_stand_in
from tests.support.triggers import TriggerScript, lambda_config

FUNCTION = "inbound_federation"
CALLBACK = "http://localhost:3000/callback"


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, TriggerScript, str, str, StandIn]]:
    tmp: Path = tmp_path_factory.mktemp("inbound-federation")
    script = TriggerScript(tmp)
    with run_server(tmp, "sqlite", extra_env=script.env()) as server:
        config = lambda_config(InboundFederation=FUNCTION)
        pool_id = make_pool(server, LambdaConfig=config)["Id"]
        server.admin().create_user_pool_domain(
            Domain=f"if-{secrets.token_hex(4)}", UserPoolId=pool_id
        )
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
            client_id = make_code_client(server, pool_id, CALLBACK, ["Corp"])
            yield server, script, pool_id, client_id, provider


@pytest.fixture()
def script(live: tuple[Server, TriggerScript, str, str, StandIn]) -> TriggerScript:
    live[1].reset()
    return live[1]


def provider_sign_in(server: Server, pool_id: str, client_id: str) -> tuple[dict[str, str], str]:
    """The browser's way through the provider: the callback's query and the PKCE verifier."""
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
                return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query)), verifier
            response = browser.get(target)
    raise AssertionError("too many redirects")


def attributes_of(server: Server, pool_id: str, username: str) -> dict[str, str] | None:
    try:
        user = server.admin().admin_get_user(UserPoolId=pool_id, Username=username)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "UserNotFoundException"
        return None
    return as_dict(user["UserAttributes"])


def test_the_function_chooses_the_mapped_attributes(
    live: tuple[Server, TriggerScript, str, str, StandIn], script: TriggerScript
) -> None:
    server, _, pool_id, client_id, provider = live
    subject = f"kai-{secrets.token_hex(3)}"
    provider.sign_in_as(subject, email=f"{subject}@corp.example", name="kai")
    script.set(
        inbound_federation={
            "response": {
                "userAttributesToMap": {"email": f"{subject}@corp.example", "name": "Kai (Corp)"}
            }
        }
    )
    back, verifier = provider_sign_in(server, pool_id, client_id)
    assert "code" in back, back
    tokens = redeem_code(f"{server.url}/{pool_id}", client_id, back["code"], CALLBACK, verifier)
    assert tokens["id_token"]
    attributes = attributes_of(server, pool_id, f"Corp_{subject}")
    assert attributes is not None and attributes["name"] == "Kai (Corp)"
    (event,) = script.events(FUNCTION)
    assert event["triggerSource"] == "InboundFederation_ExternalProvider"
    assert event["userName"] == f"Corp_{subject}"
    assert event["callerContext"]["clientId"] == client_id
    request = event["request"]
    assert request["providerName"] == "Corp" and request["providerType"] == "OIDC"
    assert request["attributes"]["idToken"]["email"] == f"{subject}@corp.example"
    assert request["attributes"]["idToken"]["sub"] == subject
    assert event["response"] == {"userAttributesToMap": None}


def test_an_empty_answer_keeps_what_the_provider_said(
    live: tuple[Server, TriggerScript, str, str, StandIn], script: TriggerScript
) -> None:
    server, _, pool_id, client_id, provider = live
    subject = f"mio-{secrets.token_hex(3)}"
    provider.sign_in_as(subject, email=f"{subject}@corp.example", name="Mio")
    script.set(inbound_federation={"response": {"userAttributesToMap": {}}})
    back, _ = provider_sign_in(server, pool_id, client_id)
    assert "code" in back, back
    attributes = attributes_of(server, pool_id, f"Corp_{subject}")
    assert attributes is not None and attributes["name"] == "Mio"
    assert len(script.events(FUNCTION)) == 1


def test_a_failing_function_denies_at_the_callback(
    live: tuple[Server, TriggerScript, str, str, StandIn], script: TriggerScript
) -> None:
    server, _, pool_id, client_id, provider = live
    subject = f"eve-{secrets.token_hex(3)}"
    provider.sign_in_as(subject, email=f"{subject}@corp.example", name="Eve")
    script.set(inbound_federation={"raise": "not from that provider"})
    back, _ = provider_sign_in(server, pool_id, client_id)
    assert back["error"] == "invalid_request" and back["state"] == "app-state"
    assert (
        back["error_description"] == "InboundFederation failed with error not from that provider. "
    )
    assert attributes_of(server, pool_id, f"Corp_{subject}") is None
    script.set(inbound_federation={"answer": {"response": {"userAttributesToMap": ["x"]}}})
    provider.sign_in_as(subject, email=f"{subject}@corp.example", name="Eve")
    back, _ = provider_sign_in(server, pool_id, client_id)
    assert back["error"] == "invalid_request"
    assert attributes_of(server, pool_id, f"Corp_{subject}") is None
