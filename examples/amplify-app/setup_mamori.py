"""Configures mamori for the Amplify sample app and prints its config.json: a user pool (email
verified by code, TOTP MFA), its hosted-login domain, the app's client, and an identity pool
that trades the pool's ID tokens for a role's AWS credentials.

    AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \\
    python setup_mamori.py --endpoint https://auth.example.com --app-url http://localhost:3000 \\
        --role-arn arn:aws:iam::123456789012:role/photos-user --bucket photos > config.json

The credentials are mamori's admin credentials (`mamori admin-credentials`). docs/amplify.md
explains each setting; tests/clients/test_amplify_sample_app.py runs `set_up`.
"""

from __future__ import annotations

import argparse
import json
import secrets
import urllib.parse
from typing import Any

import boto3

SCOPES = ["openid", "email", "profile", "aws.cognito.signin.user.admin"]


def set_up(
    idp: Any,
    identity: Any | None,
    app_url: str,
    *,
    role_arn: str | None = None,
    mfa: str = "OPTIONAL",
    name: str = "amplify-sample",
) -> dict[str, str]:
    """`idp` and `identity`: boto3 cognito-idp and cognito-identity clients for mamori. The
    identity pool is made when `identity` and `role_arn` are given. Returns the ids, and the
    domain's prefix (the hosted login is at `<prefix>.<auth_domain>`)."""
    pool_id = idp.create_user_pool(
        PoolName=name,
        AutoVerifiedAttributes=["email"],  # SignUp sends a code to the email address
    )["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration=mfa,  # OPTIONAL: users who set up an authenticator app are asked
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    prefix = f"{name}-{secrets.token_hex(3)}"
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain=prefix)
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=name,
        GenerateSecret=False,  # a browser app keeps no secret
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=SCOPES,
        CallbackURLs=[f"{app_url}/"],  # Amplify's redirectSignIn, exactly
        LogoutURLs=[f"{app_url}/"],  # Amplify's redirectSignOut, exactly
        SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]["ClientId"]
    config = {"userPoolId": pool_id, "userPoolClientId": client_id, "domainPrefix": prefix}
    if identity is not None and role_arn:
        region = pool_id.split("_")[0]
        identity_pool_id = identity.create_identity_pool(
            IdentityPoolName=name.replace("-", "_"),
            AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=[
                {
                    "ProviderName": f"cognito-idp.{region}.amazonaws.com/{pool_id}",
                    "ClientId": client_id,
                }
            ],
        )["IdentityPoolId"]
        identity.set_identity_pool_roles(
            IdentityPoolId=identity_pool_id, Roles={"authenticated": role_arn}
        )
        config["identityPoolId"] = identity_pool_id
    return config


def hosted_domain(endpoint: str, prefix: str, auth_domain: str | None = None) -> str:
    """host[:port] of the pool's hosted login, as Amplify's `oauth.domain` takes it: the prefix
    under mamori's auth_domain, which defaults to auth.localhost for a loopback name or an IP
    address and to auth.<host> otherwise (docs/oauth.md)."""
    url = urllib.parse.urlsplit(endpoint)
    host = url.hostname or ""
    if auth_domain is None:
        local = host == "localhost" or host.replace(".", "").isdigit() or ":" in host
        auth_domain = "auth.localhost" if local else f"auth.{host}"
    return f"{prefix}.{auth_domain}" + (f":{url.port}" if url.port else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="mamori's public URL (https)")
    parser.add_argument("--app-url", required=True, help="the app's origin")
    parser.add_argument("--auth-domain", help="mamori's auth_domain, when set")
    parser.add_argument("--role-arn", help="the identity pool's authenticated role")
    parser.add_argument("--bucket", default="", help="the bucket the app lists")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()
    clients = {"endpoint_url": args.endpoint, "region_name": args.region}
    idp = boto3.client("cognito-idp", **clients)
    identity = boto3.client("cognito-identity", **clients)
    made = set_up(idp, identity, args.app_url.rstrip("/"), role_arn=args.role_arn)
    config = {
        "endpoint": args.endpoint,
        "userPoolId": made["userPoolId"],
        "userPoolClientId": made["userPoolClientId"],
        "identityPoolId": made.get("identityPoolId", ""),
        "hostedDomain": hosted_domain(args.endpoint, made["domainPrefix"], args.auth_domain),
        "region": args.region,
        "bucket": args.bucket,
    }
    print(json.dumps(config, indent=2))


if __name__ == "__main__":
    main()
