"""Triggers in a SAML provider's sign-in, over HTTP against a live server with the pysaml2 IdP
stand-in. PreSignUp_ExternalProvider at the first sign-in and InboundFederation at each: a
refusing function ends the sign-in at the app's callback with Cognito's error=invalid_request
and the function's message, and makes no user; let through, the user is made from what the
functions were shown (the assertion's attributes) and answered."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from tests.api.oauth2.test_idp_response import query
from tests.api.saml2.test_saml_sign_in import CALLBACK, World, _provider, post_to_acs, to_idp
from tests.support.factories import make_code_client, make_pool
from tests.support.live import run_server
from tests.support.saml_idp import saml_idp
from tests.support.triggers import TriggerScript, lambda_config


@dataclass
class Saml:
    world: World
    script: TriggerScript


@pytest.fixture(scope="module")
def saml(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Saml]:
    tmp = tmp_path_factory.mktemp("saml-triggers")
    script = TriggerScript(tmp)
    functions = ["pre_sign_up", "inbound_federation"]
    with run_server(tmp, extra_env=script.env(functions)) as server:
        admin = server.admin()
        triggers = lambda_config(PreSignUp="pre_sign_up", InboundFederation="inbound_federation")
        pool_id = str(make_pool(server, LambdaConfig=triggers)["Id"])
        admin.create_user_pool_domain(Domain=f"saml-{secrets.token_hex(4)}", UserPoolId=pool_id)
        with saml_idp(tmp_path_factory.mktemp("idp")) as idp:
            idp.trust_sp(httpx.get(f"{server.url}/{pool_id}/saml2/metadata").text)
            _provider(admin, pool_id, "Corp", MetadataFile=idp.metadata_xml)
            client_id = make_code_client(server, pool_id, CALLBACK, ["Corp"])
            yield Saml(World(server, pool_id, client_id, idp, ""), script)


def _sign_in(world: World, name: str) -> dict[str, str]:
    world.idp.sign_in_as(name, email=f"{name}@corp.test")
    with httpx.Client() as browser:
        location, _ = to_idp(world, browser)
        response = post_to_acs(browser, *world.idp.sso_form(location))
    assert response.status_code == 302, response.text[:300]
    assert response.headers["location"].startswith(CALLBACK)
    return query(response.headers["location"])


def test_a_refusing_pre_sign_up_ends_a_saml_first_sign_in_at_the_callback(saml: Saml) -> None:
    world, script = saml.world, saml.script
    script.set(inbound_federation={})
    name = f"sam-{secrets.token_hex(3)}"
    script.set(pre_sign_up={"raise": "not on the list"})
    back = _sign_in(world, name)
    assert back["error"] == "invalid_request" and back["state"] == "app-state"
    # Cognito's observed redirect: the message with a space after it.
    assert back["error_description"] == "PreSignUp failed with error not on the list. "
    assert "code" not in back
    assert not [u for u in world.users() if u["Username"] == f"Corp_{name}"]
    # The control: let through, the user is made, and the function saw the provider's user.
    script.set(pre_sign_up={})
    back = _sign_in(world, name)
    assert "code" in back and back["state"] == "app-state"
    assert [u for u in world.users() if u["Username"] == f"Corp_{name}"]
    event = script.events("pre_sign_up")[-1]
    assert event["triggerSource"] == "PreSignUp_ExternalProvider"
    assert event["userName"] == f"Corp_{name}"
    assert event["request"]["userAttributes"]["email"] == f"{name}@corp.test"


def _email_of(world: World, username: str) -> str | None:
    for user in world.users():
        if user["Username"] == username:
            found = {a["Name"]: a["Value"] for a in user["Attributes"]}
            return found.get("email")
    return None


def test_inbound_federation_sees_the_assertion_and_answers_what_is_mapped(saml: Saml) -> None:
    world, script = saml.world, saml.script
    name = f"ines-{secrets.token_hex(3)}"
    script.set(pre_sign_up={}, inbound_federation={"raise": "not from that provider"})
    back = _sign_in(world, name)
    assert back["error"] == "invalid_request" and back["state"] == "app-state"
    assert back["error_description"] == (
        "InboundFederation failed with error not from that provider. "
    )
    assert _email_of(world, f"Corp_{name}") is None
    # The control: its answer replaces what the attribute mapping reads.
    answer = {"userAttributesToMap": {"email": f"{name}@mapped.test"}}
    script.set(inbound_federation={"response": answer})
    back = _sign_in(world, name)
    assert "code" in back
    assert _email_of(world, f"Corp_{name}") == f"{name}@mapped.test"
    event = script.events("inbound_federation")[-1]
    assert event["triggerSource"] == "InboundFederation_ExternalProvider"
    assert event["request"]["providerName"] == "Corp"
    assert event["request"]["providerType"] == "SAML"
    assert event["request"]["attributes"]["samlResponse"]["email"] == f"{name}@corp.test"
    assert event["callerContext"]["clientId"] == world.client_id
