"""Factories: a pool, a client and users with sensible defaults and any override."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from tests.support.live import Server

PASSWORD = "Corr3ct-Horse!"


def make_pool(server: Server, **overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "PoolName": f"pool-{secrets.token_hex(3)}",
        "AutoVerifiedAttributes": ["email"],
    }
    params.update(overrides)
    return dict(server.admin().create_user_pool(**params)["UserPool"])


def make_client(server: Server, pool_id: str, **overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "UserPoolId": pool_id,
        "ClientName": f"client-{secrets.token_hex(3)}",
        "ExplicitAuthFlows": [
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_USER_SRP_AUTH",
        ],
    }
    params.update(overrides)
    return dict(server.admin().create_user_pool_client(**params)["UserPoolClient"])


def make_code_client(
    server: Server,
    pool_id: str,
    callback: str,
    providers: Sequence[str],
    scopes: Sequence[str] = ("openid", "email", "profile"),
    **overrides: Any,
) -> str:
    """A public app client for the authorization-code flow that returns to `callback` and signs
    in through `providers` (COGNITO and/or identity providers' names): its ClientId."""
    made = make_client(
        server,
        pool_id,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=list(scopes),
        CallbackURLs=[callback],
        SupportedIdentityProviders=list(providers),
        **overrides,
    )
    return str(made["ClientId"])


def make_oidc_provider(
    server: Server,
    pool_id: str,
    name: str,
    client_id: str,
    secret: str,
    issuer: str,
    **overrides: Any,
) -> None:
    """The pool's OIDC identity provider `name` at `issuer` for the app `client_id`: attributes
    read by GET, the standard scopes, email and name mapped unless `overrides` say otherwise."""
    params: dict[str, Any] = {
        "UserPoolId": pool_id,
        "ProviderName": name,
        "ProviderType": "OIDC",
        "ProviderDetails": {
            "client_id": client_id,
            "client_secret": secret,
            "attributes_request_method": "GET",
            "oidc_issuer": issuer,
            "authorize_scopes": "openid email profile",
        },
        "AttributeMapping": {"email": "email", "name": "name"},
    }
    params.update(overrides)
    server.admin().create_identity_provider(**params)


def make_google_provider(server: Server, pool_id: str, client_id: str, secret: str) -> None:
    """The pool's Google identity provider: the app `client_id` at Google, with the scopes and
    the email and name mapping of Cognito's console defaults."""
    server.admin().create_identity_provider(
        UserPoolId=pool_id,
        ProviderName="Google",
        ProviderType="Google",
        ProviderDetails={
            "client_id": client_id,
            "client_secret": secret,
            "authorize_scopes": "openid email profile",
        },
        AttributeMapping={"email": "email", "name": "name"},
    )


def make_user(
    server: Server,
    pool_id: str,
    username: str | None = None,
    password: str = PASSWORD,
    attributes: dict[str, str] | None = None,
    confirmed: bool = True,
) -> str:
    """An admin-created user with a permanent password (CONFIRMED) unless told otherwise."""
    username = username or f"user-{secrets.token_hex(4)}"
    attrs = {"email": f"{username}@example.com", "email_verified": "true", **(attributes or {})}
    admin = server.admin()
    admin.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": k, "Value": v} for k, v in attrs.items()],
    )
    if confirmed:
        admin.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=password, Permanent=True
        )
    return username


def sign_in(
    server: Server, client_id: str, username: str, password: str = PASSWORD
) -> dict[str, Any]:
    result = server.public().initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return dict(result["AuthenticationResult"])
