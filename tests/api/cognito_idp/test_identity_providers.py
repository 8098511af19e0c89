"""Identity providers over boto3: the six operations for each provider type, the read-only
ProviderDetails Describe adds (Apple's private key never shown), names, identifiers, attribute
mapping, app clients' SupportedIdentityProviders, the endpoint overrides, and the pool's delete."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.support.factories import make_pool
from tests.support.live import Server, run_server

GOOGLE = {
    "client_id": "1example.apps.googleusercontent.com",
    "client_secret": "google-app-secret",
    "authorize_scopes": "email profile openid",
}
OIDC = {
    "client_id": "oidc-client",
    "client_secret": "oidc-secret",
    "attributes_request_method": "GET",
    "oidc_issuer": "https://idp.example.com",
    "authorize_scopes": "openid email",
}
APPLE = {
    "client_id": "com.example.cognito",
    "team_id": "TEAM123456",
    "key_id": "KEY1234567",
    "private_key": "-----BEGIN PRIVATE KEY-----\nMIGTAgEAexample\n-----END PRIVATE KEY-----",
    "authorize_scopes": "email name",
}
SAML = {"MetadataURL": "https://idp.example.com/saml/metadata", "IDPSignout": "true"}


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


@pytest.fixture()
def pool(server: Server) -> dict[str, Any]:
    return make_pool(server)


def create(
    server: Server, pool_id: str, name: str, kind: str, details: dict[str, str], **kw: Any
) -> Any:
    return server.admin().create_identity_provider(
        UserPoolId=pool_id, ProviderName=name, ProviderType=kind, ProviderDetails=details, **kw
    )["IdentityProvider"]


def test_google_lifecycle_with_read_only_details(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    created = create(
        server, pool_id, "Google", "Google", GOOGLE, AttributeMapping={"email": "email"}
    )
    assert created["ProviderName"] == "Google" and created["ProviderType"] == "Google"
    # Describe shows what Cognito adds for Google, and echoes the client secret as AWS does.
    assert created["ProviderDetails"] == {
        **GOOGLE,
        "attributes_url": "https://people.googleapis.com/v1/people/me?personFields=",
        "attributes_url_add_attributes": "true",
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "oidc_issuer": "https://accounts.google.com",
        "token_request_method": "POST",
        "token_url": "https://www.googleapis.com/oauth2/v4/token",
    }
    # The username comes from Google's `sub` unless the mapping names another claim.
    assert created["AttributeMapping"] == {"email": "email", "username": "sub"}
    assert created["IdpIdentifiers"] == []
    described = admin.describe_identity_provider(UserPoolId=pool_id, ProviderName="Google")
    assert described["IdentityProvider"] == created

    # Update merges details: a Describe result sent back (read-only keys and all) is accepted.
    back = {**described["IdentityProvider"]["ProviderDetails"], "authorize_scopes": "openid"}
    updated = admin.update_identity_provider(
        UserPoolId=pool_id, ProviderName="Google", ProviderDetails=back, IdpIdentifiers=["gmail"]
    )["IdentityProvider"]
    assert updated["ProviderDetails"]["authorize_scopes"] == "openid"
    assert updated["ProviderDetails"]["client_secret"] == "google-app-secret"
    assert updated["AttributeMapping"] == created["AttributeMapping"]
    assert updated["IdpIdentifiers"] == ["gmail"]
    assert updated["LastModifiedDate"] >= created["LastModifiedDate"]
    by_id = admin.get_identity_provider_by_identifier(UserPoolId=pool_id, IdpIdentifier="gmail")
    assert by_id["IdentityProvider"]["ProviderName"] == "Google"

    admin.delete_identity_provider(UserPoolId=pool_id, ProviderName="Google")
    with pytest.raises(ClientError) as exc:
        admin.describe_identity_provider(UserPoolId=pool_id, ProviderName="Google")
    assert error(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        admin.get_identity_provider_by_identifier(UserPoolId=pool_id, IdpIdentifier="gmail")
    assert error(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        admin.delete_identity_provider(UserPoolId=pool_id, ProviderName="Google")
    assert error(exc)[0] == "ResourceNotFoundException"


def test_each_social_type_describes_its_endpoints(server: Server, pool: dict[str, Any]) -> None:
    pool_id = pool["Id"]
    facebook = create(
        server,
        pool_id,
        "Facebook",
        "Facebook",
        {
            "client_id": "fb",
            "client_secret": "s",
            "authorize_scopes": "public_profile, email",
            "api_version": "v18.0",
        },
    )["ProviderDetails"]
    assert facebook["authorize_url"] == "https://www.facebook.com/v18.0/dialog/oauth"
    assert facebook["token_url"] == "https://graph.facebook.com/v18.0/oauth/access_token"
    assert facebook["attributes_url"] == "https://graph.facebook.com/v18.0/me?fields="
    assert facebook["token_request_method"] == "GET"
    amazon = create(
        server,
        pool_id,
        "LoginWithAmazon",
        "LoginWithAmazon",
        {
            "client_id": "amzn1.application-oa2-client.1",
            "client_secret": "s",
            "authorize_scopes": "profile",
        },
    )
    assert amazon["ProviderDetails"]["authorize_url"] == "https://www.amazon.com/ap/oa"
    assert amazon["ProviderDetails"]["attributes_url_add_attributes"] == "false"
    assert amazon["AttributeMapping"] == {"username": "user_id"}
    apple = create(server, pool_id, "SignInWithApple", "SignInWithApple", APPLE)
    # Cognito never shows Apple's private key; the rest of what was set, and Apple's URLs.
    assert "private_key" not in apple["ProviderDetails"]
    assert apple["ProviderDetails"]["key_id"] == APPLE["key_id"]
    assert apple["ProviderDetails"]["authorize_url"] == "https://appleid.apple.com/auth/authorize"
    assert apple["ProviderDetails"]["oidc_issuer"] == "https://appleid.apple.com"
    # An update without the private key keeps it (it cannot be read back to be resent).
    server.admin().update_identity_provider(
        UserPoolId=pool_id,
        ProviderName="SignInWithApple",
        ProviderDetails={**apple["ProviderDetails"], "authorize_scopes": "email"},
    )
    listed = server.admin().list_identity_providers(UserPoolId=pool_id, MaxResults=2)
    assert [p["ProviderName"] for p in listed["Providers"]] == ["Facebook", "LoginWithAmazon"]
    assert set(listed["Providers"][0]) == {
        "ProviderName",
        "ProviderType",
        "LastModifiedDate",
        "CreationDate",
    }
    rest = server.admin().list_identity_providers(
        UserPoolId=pool_id, MaxResults=2, NextToken=listed["NextToken"]
    )
    assert [p["ProviderName"] for p in rest["Providers"]] == ["SignInWithApple"]
    assert "NextToken" not in rest


def test_oidc_and_saml_providers(server: Server, pool: dict[str, Any]) -> None:
    pool_id = pool["Id"]
    oidc = create(
        server,
        pool_id,
        "Corp",
        "OIDC",
        OIDC,
        IdpIdentifiers=["corp.example.com"],
        AcrMapping={"Level1": "urn:acr:pwd"},
    )
    assert oidc["ProviderDetails"] == {**OIDC, "attributes_url_add_attributes": "false"}
    assert oidc["AcrMapping"] == {"Level1": "urn:acr:pwd"}
    explicit = {
        **OIDC,
        "authorize_url": "https://idp.example.com/authorize",
        "token_url": "https://idp.example.com/token",
        "attributes_url": "https://idp.example.com/userinfo",
        "jwks_uri": "https://idp.example.com/jwks",
    }
    other = create(server, pool_id, "Corp2", "OIDC", explicit)
    assert other["ProviderDetails"]["jwks_uri"] == "https://idp.example.com/jwks"
    saml = create(
        server,
        pool_id,
        "Okta",
        "SAML",
        SAML,
        AttributeMapping={"email": "http://schemas.example/email"},
    )
    assert saml["ProviderDetails"] == SAML
    # SAML users are named by the assertion's NameID: no default username mapping.
    assert saml["AttributeMapping"] == {"email": "http://schemas.example/email"}


@pytest.mark.parametrize(
    ("name", "kind", "details", "code", "message"),
    [
        (
            "Google",
            "Google",
            {"client_id": "x"},
            "InvalidParameterException",
            "client_id, client_secret and authorize_scopes are all required idp details",
        ),
        (
            "MyGoogle",
            "Google",
            GOOGLE,
            "InvalidParameterException",
            "Provider MyGoogle cannot be of type Google.",
        ),
        (
            "Google",
            "OIDC",
            OIDC,
            "InvalidParameterException",
            "Provider Google cannot be of type OIDC.",
        ),
        (
            "COGNITO",
            "OIDC",
            OIDC,
            "InvalidParameterException",
            "Provider name COGNITO is reserved.",
        ),
        (
            "SignInWithApple",
            "SignInWithApple",
            {**APPLE, "private_key": ""},
            "InvalidParameterException",
            "client_id, team_id, key_id, private_key and authorize_scopes are all required idp "
            "details",
        ),
        (
            "Corp",
            "OIDC",
            {**OIDC, "attributes_request_method": "PUT"},
            "InvalidParameterException",
            "attributes_request_method must be GET or POST",
        ),
        (
            "Corp",
            "OIDC",
            {**OIDC, "oidc_issuer": "ftp://idp"},
            "InvalidParameterException",
            "oidc_issuer must be an http(s) URL: ftp://idp",
        ),
        (
            "Okta",
            "SAML",
            {"IDPSignout": "true"},
            "InvalidParameterException",
            "Exactly one of MetadataURL and MetadataFile is required.",
        ),
        (
            "Okta",
            "SAML",
            {**SAML, "RequestSigningAlgorithm": "rsa-sha1"},
            "InvalidParameterException",
            "RequestSigningAlgorithm accepts only rsa-sha256.",
        ),
        (
            "Facebook",
            "Facebook",
            {**GOOGLE, "api_version": "latest"},
            "InvalidParameterException",
            "api_version latest is not a Graph API version.",
        ),
        (
            "Google",
            "Google",
            {**GOOGLE, "team_id": "T"},
            "InvalidParameterException",
            "team_id is not a valid provider detail for a Google provider.",
        ),
    ],
)
def test_invalid_providers_are_refused(
    server: Server,
    pool: dict[str, Any],
    name: str,
    kind: str,
    details: dict[str, str],
    code: str,
    message: str,
) -> None:
    with pytest.raises(ClientError) as exc:
        create(server, pool["Id"], name, kind, details)
    assert error(exc) == (code, message)
    assert server.admin().list_identity_providers(UserPoolId=pool["Id"])["Providers"] == []


def test_duplicates_mapping_and_acr_rules(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    create(server, pool_id, "Corp", "OIDC", OIDC, IdpIdentifiers=["corp.example.com"])
    with pytest.raises(ClientError) as exc:
        create(server, pool_id, "Corp", "OIDC", OIDC)
    assert error(exc) == (
        "DuplicateProviderException",
        "A provider with the name Corp already exists in this user pool.",
    )
    with pytest.raises(ClientError) as exc:
        create(server, pool_id, "Other", "OIDC", OIDC, IdpIdentifiers=["corp.example.com"])
    assert error(exc) == (
        "DuplicateProviderException",
        "Identifier corp.example.com is already used by provider Corp.",
    )
    with pytest.raises(ClientError) as exc:
        create(server, pool_id, "Other", "OIDC", OIDC, IdpIdentifiers=["a", "a"])
    assert error(exc)[0] == "DuplicateProviderException"
    for mapping in ({"not_an_attribute": "x"}, {"sub": "sub"}, {"custom:missing": "x"}):
        with pytest.raises(ClientError) as exc:
            create(server, pool_id, "Other", "OIDC", OIDC, AttributeMapping=mapping)
        assert error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        create(server, pool_id, "Okta", "SAML", SAML, AcrMapping={"Level1": "x"})
    assert error(exc) == (
        "InvalidParameterException",
        "AcrMapping is supported only for OIDC providers.",
    )
    with pytest.raises(ClientError) as exc:
        admin.update_identity_provider(
            UserPoolId=pool_id, ProviderName="Nope", ProviderDetails=OIDC
        )
    assert error(exc)[0] == "ResourceNotFoundException"
    # The identifier is free again once its provider is deleted.
    admin.delete_identity_provider(UserPoolId=pool_id, ProviderName="Corp")
    create(server, pool_id, "Other", "OIDC", OIDC, IdpIdentifiers=["corp.example.com"])


def test_app_clients_name_existing_providers(server: Server, pool: dict[str, Any]) -> None:
    admin, pool_id = server.admin(), pool["Id"]
    with pytest.raises(ClientError) as exc:
        admin.create_user_pool_client(
            UserPoolId=pool_id, ClientName="web", SupportedIdentityProviders=["COGNITO", "Google"]
        )
    assert error(exc) == (
        "InvalidParameterException",
        f"The provider Google does not exist for User Pool {pool_id}",
    )
    create(server, pool_id, "Google", "Google", GOOGLE)
    client = admin.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", SupportedIdentityProviders=["COGNITO", "Google"]
    )["UserPoolClient"]
    assert client["SupportedIdentityProviders"] == ["COGNITO", "Google"]


def test_unknown_pool_and_deleting_the_pool(server: Server) -> None:
    admin = server.admin()
    with pytest.raises(ClientError) as exc:
        create(server, "us-east-1_nopool123", "Google", "Google", GOOGLE)
    assert error(exc)[0] == "ResourceNotFoundException"
    pool_id = make_pool(server)["Id"]
    create(server, pool_id, "Google", "Google", GOOGLE, IdpIdentifiers=["g"])
    admin.delete_user_pool(UserPoolId=pool_id)
    with pytest.raises(ClientError) as exc:
        admin.list_identity_providers(UserPoolId=pool_id)
    assert error(exc)[0] == "ResourceNotFoundException"


@pytest.fixture(scope="module")
def overridden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    stand_in = "http://127.0.0.1:4999"
    env = {
        "MAMORI_FEDERATION_ENDPOINTS": (
            f"google.authorize_url={stand_in}/auth,google.token_url={stand_in}/token,"
            f"facebook.authorize_url={stand_in}/{{api_version}}/dialog"
        )
    }
    with run_server(tmp_path_factory.mktemp("federation-endpoints"), extra_env=env) as live:
        yield live


def test_endpoint_overrides_are_what_describe_shows(overridden: Server) -> None:
    pool_id = make_pool(overridden)["Id"]
    google = create(overridden, pool_id, "Google", "Google", GOOGLE)["ProviderDetails"]
    assert google["authorize_url"] == "http://127.0.0.1:4999/auth"
    assert google["token_url"] == "http://127.0.0.1:4999/token"
    assert google["oidc_issuer"] == "https://accounts.google.com"  # not overridden
    facebook = create(
        overridden,
        pool_id,
        "Facebook",
        "Facebook",
        {"client_id": "fb", "client_secret": "s", "authorize_scopes": "email"},
    )["ProviderDetails"]
    # Facebook's default Graph API version fills the overridden URL's placeholder.
    assert facebook["authorize_url"] == "http://127.0.0.1:4999/v17.0/dialog"


def test_secrets_are_sealed_at_rest(sqlite_server: Server) -> None:
    pool_id = make_pool(sqlite_server)["Id"]
    secret = "sealed-" + secrets.token_hex(8)
    create(sqlite_server, pool_id, "Google", "Google", {**GOOGLE, "client_secret": secret})
    create(
        sqlite_server,
        pool_id,
        "SignInWithApple",
        "SignInWithApple",
        {**APPLE, "private_key": "KEY-" + secret},
    )
    path = sqlite_server.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT details, secrets_sealed FROM identity_providers WHERE pool_id = ?", (pool_id,)
        ).fetchall()
    assert len(rows) == 2
    for details, sealed in rows:
        assert secret not in details and secret not in sealed
        assert sealed.startswith("v1.")


@pytest.mark.parametrize("name", ["My IdP", "_Corp", "Corp_", "x" * 33])
def test_the_model_refuses_malformed_names(server: Server, pool: dict[str, Any], name: str) -> None:
    with pytest.raises(ClientError) as exc:
        create(server, pool["Id"], name, "OIDC", OIDC)
    code, message = error(exc)
    assert code == "InvalidParameterException" and "providerName" in message
