"""Identity-pool test helpers: cognito-identity clients, pools, Logins keys, and token forging.

Forging uses what an attacker with the server's files would have (the master key and the
database), to mint tokens the checks must refuse for reasons other than the signature: expired,
wrong audience, wrong token use.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import urllib.request
from typing import Any

import boto3
import jwt
from botocore import UNSIGNED
from botocore.config import Config
from sqlalchemy import select
from tests.support.live import REGION, Server

from mamori.adapters.store.sql.connection.engine import make_sync_engine
from mamori.adapters.store.sql.tables import signing_keys
from mamori.crypto.aead import Keyring
from mamori.crypto.jose import LoadedKey, SigningKey, generate_signing_key

_NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=30)


def identity_admin(server: Server) -> Any:
    return boto3.client(
        "cognito-identity",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=_NO_RETRY,
    )


def identity_public(server: Server) -> Any:
    """No credentials at all: GetId, GetCredentialsForIdentity, GetOpenIdToken, UnlinkIdentity."""
    return boto3.client(
        "cognito-identity",
        endpoint_url=server.url,
        region_name=REGION,
        config=_NO_RETRY.merge(Config(signature_version=UNSIGNED)),
    )


def aws_key(pool_id: str) -> str:
    """The Logins key AWS SDK users write: cognito-idp.<region>.amazonaws.com/<pool id>."""
    return f"cognito-idp.{pool_id.split('_', 1)[0]}.amazonaws.com/{pool_id}"


def issuer_key(server: Server, pool_id: str) -> str:
    """The Logins key Amplify sends: the ID token's `iss` without its scheme."""
    return f"{server.url.split('://', 1)[1]}/{pool_id}"


def make_identity_pool(
    server: Server,
    user_pool_id: str | None = None,
    client_id: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "IdentityPoolName": f"ip_{secrets.token_hex(3)}",
        "AllowUnauthenticatedIdentities": False,
    }
    if user_pool_id:
        provider: dict[str, Any] = {"ProviderName": aws_key(user_pool_id)}
        if client_id:
            provider["ClientId"] = client_id
        params["CognitoIdentityProviders"] = [provider]
    params.update(overrides)
    return dict(identity_admin(server).create_identity_pool(**params))


def claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return dict(json.load(resp))


def pool_signing_key(server: Server, pool_id: str) -> LoadedKey:
    """The user pool's real signing key, read from the database and opened with the master key."""
    master = base64.b64decode((server.data_dir / "master.key").read_text().strip())
    engine = make_sync_engine(server.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                select(signing_keys.c.kid, signing_keys.c.sealed_pem).where(
                    signing_keys.c.pool_id == pool_id
                )
            ).first()
    finally:
        engine.dispose()
    assert row is not None, f"no signing key for {pool_id}"
    pem = Keyring(master).open(row.sealed_pem, f"signing-key:{pool_id}")
    return LoadedKey(SigningKey(row.kid, pem))


def resign(key: LoadedKey, token: str, **changes: Any) -> str:
    """The token's claims with `changes` (None removes a claim), signed with `key`."""
    body = claims(token)
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return key.sign(body)


def forged(token: str) -> str:
    """Same claims and kid, signed with a key the server never had."""
    stranger = generate_signing_key()
    header_kid = jwt.get_unverified_header(token)["kid"]
    return jwt.encode(
        claims(token), stranger.private_pem, algorithm="RS256", headers={"kid": header_kid}
    )


def expired(key: LoadedKey, token: str) -> str:
    now = int(time.time())
    return resign(key, token, iat=now - 7200, exp=now - 3600)
