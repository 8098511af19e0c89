"""PreSignUp_ExternalProvider for a SAML provider's first sign-in, over HTTP against a live server
with the pysaml2 IdP stand-in: a refusing function ends the sign-in at the app's callback with
Cognito's error=invalid_request and the function's message, and makes no user; let through,
the user is made and the function was asked with the provider's attributes."""

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
    with run_server(tmp, extra_env=script.env(["pre_sign_up"])) as server:
        admin = server.admin()
        pool_id = str(make_pool(server, LambdaConfig=lambda_config(PreSignUp="pre_sign_up"))["Id"])
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
