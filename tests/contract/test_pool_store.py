"""SqlPoolStore, SqlClientStore and SqlKeyStore: round trips, paging, secrets sealed at rest."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import insert, select
from tests.support.entities import NOW, client_value, pool_value
from tests.support.stores import Stores

from mamori.adapters.store.sql.tables import clients, pools
from mamori.domain.errors import InvalidParameterException
from mamori.domain.ids import ClientId, PoolId
from mamori.domain.userpools.app_client import (
    AnalyticsConfiguration,
    OAuthFlow,
    OAuthSettings,
    TokenValidity,
)
from mamori.domain.userpools.password_policy import PasswordPolicy
from mamori.domain.userpools.schema import STANDARD_SCHEMA, AttributeType, SchemaAttribute
from mamori.domain.userpools.settings import (
    AdditionalFlows,
    DeviceConfiguration,
    EmailConfiguration,
    EumsSmsConfiguration,
    LambdaConfig,
    SmsConfiguration,
    UserPoolAddOns,
    VersionedLambda,
)
from mamori.domain.userpools.user_pool import (
    MessageTemplate,
    MfaConfiguration,
    RecoveryOption,
    UserPool,
)
from mamori.services.tokens.ports import SealedKey

pytestmark = pytest.mark.anyio


def rich_pool() -> UserPool:
    """A pool with every field away from its default."""
    return pool_value(
        name="rich pool ✓",
        schema=(
            *STANDARD_SCHEMA,
            SchemaAttribute("custom:tier", AttributeType.NUMBER, min_value=1, max_value=9),
            SchemaAttribute("dev:secret", developer_only=True, mutable=False),
        ),
        alias_attributes=("email", "preferred_username"),
        case_sensitive=True,
        password_policy=PasswordPolicy(10, False, True, False, True, 3, 5),
        auto_verified_attributes=("email",),
        attributes_require_verification_before_update=("email",),
        mfa_configuration=MfaConfiguration.OPTIONAL,
        deletion_protection=True,
        allow_admin_create_user_only=True,
        invite_message=MessageTemplate(email_message="hi {username} {####}", email_subject="Hi"),
        verification_message=MessageTemplate(
            sms_message="code {####}", default_email_option="CONFIRM_WITH_LINK"
        ),
        sms_authentication_message="auth {####}",
        account_recovery=(RecoveryOption("verified_email", 1), RecoveryOption("admin_only", 2)),
        tags={"team": "identity", "cost-centre": "42"},
        lambda_config=LambdaConfig(
            pre_sign_up="arn:aws:lambda:x",
            pre_token_generation_config=VersionedLambda("V2_0", "arn:aws:lambda:t"),
            kms_key_id="arn:aws:kms:k",
        ),
        device_configuration=DeviceConfiguration(on_new_device=False, on_user_prompt=True),
        email_configuration=EmailConfiguration(email_sending_account="DEVELOPER", from_address="a"),
        sms_configuration=SmsConfiguration(
            sns_caller_arn="arn:aws:iam::1:role/sns", eums_sms=EumsSmsConfiguration(region="x")
        ),
        add_ons=UserPoolAddOns("AUDIT", AdditionalFlows("ENFORCED")),
        tier="PLUS",
    )


async def test_pool_round_trip_keeps_every_field(stores: Stores) -> None:
    pool = rich_pool()
    await stores.pools.add_pool(pool)
    assert await stores.pools.get_pool(pool.id) == pool


async def test_save_pool_replaces_settings(stores: Stores) -> None:
    pool = await stores.pool()
    changed = dataclasses.replace(
        rich_pool(), id=pool.id, created=pool.created, modified=NOW.replace(year=2025)
    )
    await stores.pools.save_pool(changed)
    assert await stores.pools.get_pool(pool.id) == changed


async def test_unknown_pool_is_none(stores: Stores) -> None:
    assert await stores.pools.get_pool(PoolId("eu-west-1_nosuchpool")) is None


async def test_pool_listing_visits_every_pool_exactly_once(stores: Stores) -> None:
    mine = {(await stores.pool()).id for _ in range(7)}
    for limit in (1, 2, 5, 60):
        seen: list[PoolId] = []
        token: str | None = None
        while True:
            page = await stores.pools.list_pools(limit, token)
            assert len(page.items) <= limit
            seen.extend(p.id for p in page.items)
            if page.next_token is None:
                break
            token = page.next_token
        assert len(seen) == len(set(seen)), "a pool was listed twice"
        assert seen == sorted(seen)
        assert mine <= set(seen)


async def test_garbage_page_token_is_a_client_error(stores: Stores) -> None:
    pool = await stores.pool()
    with pytest.raises(InvalidParameterException):
        await stores.pools.list_pools(10, "\u00ff\u00fe")
    with pytest.raises(InvalidParameterException):
        await stores.clients.list_clients(pool.id, 10, "%%%\u2603")


async def test_count_users_counts_only_that_pool(stores: Stores) -> None:
    a, b = await stores.pool(), await stores.pool()
    for _ in range(3):
        await stores.user(a)
    await stores.user(b)
    assert await stores.pools.count_users(a.id) == 3
    assert await stores.pools.count_users(b.id) == 1


async def test_client_round_trip_and_secret_sealed_at_rest(stores: Stores) -> None:
    pool = await stores.pool()
    client = client_value(
        pool.id,
        secret="s3cr3t-value-that-must-not-be-stored-in-clear",
        explicit_auth_flows=("ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"),
        token_validity=TokenValidity(5, "minutes", 1, "hours", 10, "days"),
        read_attributes=("email",),
        write_attributes=("name",),
        prevent_user_existence_errors=True,
        enable_token_revocation=False,
        auth_session_validity_minutes=7,
        refresh_rotation=True,
        refresh_retry_grace_seconds=30,
        oauth=OAuthSettings(
            flows=(OAuthFlow.CODE, OAuthFlow.IMPLICIT),
            scopes=("openid", "email"),
            enabled=True,
            callback_urls=("https://app.example/cb",),
            logout_urls=(),
            default_redirect_uri="https://app.example/cb",
            identity_providers=("COGNITO",),
        ),
        analytics=AnalyticsConfiguration(application_id="ab12", user_data_shared=False),
        propagate_user_context_data=False,
    )
    await stores.clients.add_client(client)
    assert await stores.clients.get_client(pool.id, client.id) == client
    assert await stores.clients.find_client(client.id) == client
    async with stores.engine.connect() as conn:
        row = (await conn.execute(select(clients).where(clients.c.id == client.id))).one()
    assert client.secret is not None
    assert client.secret not in row.secret_sealed
    assert client.secret not in row.config


async def test_client_without_secret(stores: Stores) -> None:
    pool = await stores.pool()
    client = await stores.client(pool)
    got = await stores.clients.get_client(pool.id, client.id)
    assert got == client
    assert got is not None and got.secret is None


async def test_save_client_replaces_settings_and_can_drop_the_secret(stores: Stores) -> None:
    pool = await stores.pool()
    client = await stores.client(pool, secret="first")
    changed = dataclasses.replace(
        client, name="renamed", secret=None, explicit_auth_flows=("ALLOW_USER_SRP_AUTH",)
    )
    await stores.clients.save_client(changed)
    assert await stores.clients.get_client(pool.id, client.id) == changed


async def test_client_listing_visits_every_client_of_the_pool_once(stores: Stores) -> None:
    pool, other = await stores.pool(), await stores.pool()
    mine = {(await stores.client(pool)).id for _ in range(5)}
    await stores.client(other)
    seen: list[ClientId] = []
    token: str | None = None
    while True:
        page = await stores.clients.list_clients(pool.id, 2, token)
        seen.extend(c.id for c in page.items)
        if page.next_token is None:
            break
        token = page.next_token
    assert sorted(seen) == sorted(mine)
    assert len(seen) == len(mine)


async def test_delete_client(stores: Stores) -> None:
    pool = await stores.pool()
    client = await stores.client(pool)
    await stores.clients.delete_client(pool.id, client.id)
    assert await stores.clients.get_client(pool.id, client.id) is None
    assert await stores.clients.find_client(client.id) is None


async def test_keys_newest_first_and_sealed_value_kept_verbatim(stores: Stores) -> None:
    pool = await stores.pool()
    old = SealedKey(pool.id, "kid-old", stores.keyring.seal(b"old pem", "signing-key"), NOW)
    new = SealedKey(
        pool.id, "kid-new", stores.keyring.seal(b"new pem", "signing-key"), NOW.replace(year=2025)
    )
    await stores.keys.add_key(old)
    await stores.keys.add_key(new)
    assert list(await stores.keys.keys_of(pool.id)) == [new, old]
    assert stores.keyring.open(new.sealed_pem, "signing-key") == b"new pem"


# A pool's and a client's `config` as mamori wrote them before settings were typed (issue 10):
# settings in Cognito's JSON under `extra`, the rest as the dataclass fields (schema left out:
# a row without one reads as the standard schema, as before).
_OLD_POOL_CONFIG = (
    '{"account_recovery":[],"alias_attributes":[],"allow_admin_create_user_only":false,'
    '"allowed_first_auth_factors":["PASSWORD"],"attributes_require_verification_before_update":[],'
    '"auto_verified_attributes":[],"case_sensitive":false,"deletion_protection":false,'
    '"extra":{"DeviceConfiguration":{"ChallengeRequiredOnNewDevice":false,'
    '"DeviceOnlyRememberedOnUserPrompt":true},"LambdaConfig":{"PreSignUp":"arn:aws:lambda:pre",'
    '"PreTokenGenerationConfig":{"LambdaArn":"arn:aws:lambda:tok","LambdaVersion":"V2_0"}},'
    '"SmsConfiguration":{"ExternalId":"x","SnsCallerArn":"arn:aws:iam::000000000000:role/sns"},'
    '"UserPoolTier":"PLUS"},"mfa_configuration":"OFF","sms_authentication_message":null,'
    '"tags":{},"username_attributes":[]}'
)
_OLD_CLIENT_CONFIG = (
    '{"auth_session_validity_minutes":3,"enable_token_revocation":true,"explicit_auth_flows":[],'
    '"extra":{"AllowedOAuthFlows":["code"],"AllowedOAuthFlowsUserPoolClient":true,'
    '"AllowedOAuthScopes":["openid"],"CallbackURLs":["https://app.example/cb"],'
    '"SupportedIdentityProviders":["COGNITO"]},"prevent_user_existence_errors":false,'
    '"read_attributes":[],"refresh_retry_grace_seconds":0,"refresh_rotation":false,'
    '"token_validity":{"access":60,"access_unit":"minutes","id":60,"id_unit":"minutes",'
    '"refresh":30,"refresh_unit":"days"},"write_attributes":[]}'
)


async def test_pool_and_client_stored_before_typed_settings_read_back(stores: Stores) -> None:
    pool = pool_value(
        lambda_config=LambdaConfig(
            pre_sign_up="arn:aws:lambda:pre",
            pre_token_generation_config=VersionedLambda("V2_0", "arn:aws:lambda:tok"),
        ),
        device_configuration=DeviceConfiguration(on_new_device=False, on_user_prompt=True),
        sms_configuration=SmsConfiguration(
            sns_caller_arn="arn:aws:iam::000000000000:role/sns", external_id="x"
        ),
        tier="PLUS",
    )
    client = client_value(
        pool.id,
        oauth=OAuthSettings(
            flows=(OAuthFlow.CODE,),
            scopes=("openid",),
            enabled=True,
            callback_urls=("https://app.example/cb",),
            identity_providers=("COGNITO",),
        ),
    )
    async with stores.engine.begin() as conn:
        await conn.execute(
            insert(pools).values(
                id=pool.id,
                name=pool.name,
                created=pool.created,
                modified=pool.modified,
                config=_OLD_POOL_CONFIG,
            )
        )
        await conn.execute(
            insert(clients).values(
                id=client.id,
                pool_id=pool.id,
                name=client.name,
                created=client.created,
                modified=client.modified,
                config=_OLD_CLIENT_CONFIG,
            )
        )
    assert await stores.pools.get_pool(pool.id) == pool
    assert await stores.clients.get_client(pool.id, client.id) == client
    # Written again, the settings keep Cognito's JSON under `extra`: an older mamori reads them.
    await stores.pools.save_pool(pool)
    await stores.clients.save_client(client)
    async with stores.engine.connect() as conn:
        pool_row = (await conn.execute(select(pools).where(pools.c.id == pool.id))).one()
        client_row = (await conn.execute(select(clients).where(clients.c.id == client.id))).one()
    assert json.loads(pool_row.config)["extra"] == json.loads(_OLD_POOL_CONFIG)["extra"]
    assert json.loads(client_row.config)["extra"] == json.loads(_OLD_CLIENT_CONFIG)["extra"]
