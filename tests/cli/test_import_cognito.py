"""`mamori import-cognito` from a live mamori standing in for Cognito into a second one: a dry
run changes nothing; the pool (schema, policies, MFA, tag), resource servers, groups and clients
(same secrets) arrive with the UserMigration trigger set; a re-run creates nothing twice; users
are exported (never created) unless --create-users ends the migration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.support.factories import make_client, make_pool, make_user
from tests.support.live import Server, run_server

MIGRATION_ARN = "arn:aws:lambda:us-east-1:000000000000:function:cognito-migration"
DEFINE_ARN = "arn:aws:lambda:us-east-1:000000000000:function:define-auth-challenge"


@dataclass(frozen=True)
class Servers:
    old: Server
    new: Server
    pool_id: str
    tmp: Path


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    tmp = tmp_path_factory.mktemp("import-cognito")
    with run_server(tmp) as old, run_server(tmp) as new:
        admin = old.admin()
        pool_id = str(
            make_pool(
                old,
                PoolName="shop-users",
                Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": True}},
                Schema=[
                    {"Name": "tier", "AttributeDataType": "String", "Mutable": True},
                    {"Name": "name", "AttributeDataType": "String", "Required": True},
                ],
                LambdaConfig={"DefineAuthChallenge": DEFINE_ARN},
            )["Id"]
        )
        admin.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            MfaConfiguration="OPTIONAL",
            SoftwareTokenMfaConfiguration={"Enabled": True},
        )
        admin.create_resource_server(
            UserPoolId=pool_id,
            Identifier="https://api.shop.example",
            Name="shop api",
            Scopes=[{"ScopeName": "orders.read", "ScopeDescription": "read orders"}],
        )
        admin.create_group(UserPoolId=pool_id, GroupName="admins", Precedence=1)
        admin.create_group(UserPoolId=pool_id, GroupName="staff", Description="shop staff")
        make_client(old, pool_id, ClientName="web")
        make_client(
            old,
            pool_id,
            ClientName="backend",
            GenerateSecret=True,
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["client_credentials"],
            AllowedOAuthScopes=["https://api.shop.example/orders.read"],
        )
        for name in ("alice", "bob"):
            make_user(old, pool_id, name, attributes={"name": name.title(), "custom:tier": "gold"})
        admin.admin_add_user_to_group(UserPoolId=pool_id, Username="alice", GroupName="admins")
        yield Servers(old, new, pool_id, tmp)


def run_import(s: Servers, *args: str, pool: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAMORI_", "AWS_"))}
    env.update(
        {
            # The old pool is read with botocore's credential chain, as from AWS.
            "AWS_ACCESS_KEY_ID": s.old.access_key_id,
            "AWS_SECRET_ACCESS_KEY": s.old.secret_access_key,
            "MAMORI_ADMIN_ACCESS_KEY_ID": s.new.access_key_id,
            "MAMORI_ADMIN_SECRET_ACCESS_KEY": s.new.secret_access_key,
        }
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mamori.cli",
            "import-cognito",
            "--pool",
            pool or s.pool_id,
            "--source-endpoint",
            s.old.url,
            "--target-endpoint",
            s.new.url,
            "--data-dir",
            str(s.tmp / "cli-data"),
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def new_pools(s: Servers) -> list[str]:
    return [p["Id"] for p in s.new.admin().list_user_pools(MaxResults=60)["UserPools"]]


def test_import_dry_run_then_real_then_again(servers: Servers) -> None:
    s = servers
    dry = run_import(s, "--dry-run", "--migration-function", MIGRATION_ARN)
    assert dry.returncode == 0, dry.stderr
    assert "pool shop-users: would be created" in dry.stdout
    assert "client backend: would be created" in dry.stdout
    assert new_pools(s) == []  # a dry run writes nothing

    done = run_import(
        s,
        "--migration-function",
        MIGRATION_ARN,
        "--legacy-sub-attribute",
        "custom:legacy_sub",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    ids = json.loads(done.stdout)
    new_pool = ids["UserPoolId"][s.pool_id]
    assert new_pools(s) == [new_pool]
    admin, old_admin = s.new.admin(), s.old.admin()

    pool = admin.describe_user_pool(UserPoolId=new_pool)["UserPool"]
    assert pool["Name"] == "shop-users"
    assert pool["UserPoolTags"]["mamori:imported-from"] == s.pool_id
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert pool["LambdaConfig"]["UserMigration"] == MIGRATION_ARN
    assert pool["LambdaConfig"]["DefineAuthChallenge"] == DEFINE_ARN  # the team's own triggers kept
    schema = {a["Name"]: a for a in pool["SchemaAttributes"]}
    assert "custom:tier" in schema and schema["name"]["Required"] is True
    # Where the function keeps the old sub: written once, by the migration.
    assert schema["custom:legacy_sub"]["Mutable"] is False
    mfa = admin.get_user_pool_mfa_config(UserPoolId=new_pool)
    assert mfa["MfaConfiguration"] == "OPTIONAL"
    assert mfa["SoftwareTokenMfaConfiguration"]["Enabled"] is True

    servers_ = admin.list_resource_servers(UserPoolId=new_pool, MaxResults=10)["ResourceServers"]
    assert [(r["Identifier"], [sc["ScopeName"] for sc in r["Scopes"]]) for r in servers_] == [
        ("https://api.shop.example", ["orders.read"])
    ]
    groups = {g["GroupName"]: g for g in admin.list_groups(UserPoolId=new_pool)["Groups"]}
    assert groups["admins"]["Precedence"] == 1
    assert groups["staff"]["Description"] == "shop staff"

    old_clients = {
        c["ClientName"]: c["ClientId"]
        for c in old_admin.list_user_pool_clients(UserPoolId=s.pool_id)["UserPoolClients"]
    }
    assert set(ids["ClientIds"]) == set(old_clients.values())
    backend_old = old_admin.describe_user_pool_client(
        UserPoolId=s.pool_id, ClientId=old_clients["backend"]
    )["UserPoolClient"]
    backend_new = admin.describe_user_pool_client(
        UserPoolId=new_pool, ClientId=ids["ClientIds"][old_clients["backend"]]
    )["UserPoolClient"]
    assert backend_new["ClientSecret"] == backend_old["ClientSecret"]  # apps keep their secret
    assert backend_new["AllowedOAuthScopes"] == ["https://api.shop.example/orders.read"]
    assert backend_new["AllowedOAuthFlows"] == ["client_credentials"]
    # The old clients wrote every attribute (no list): the copies name them all but the legacy
    # sub, which an immutable attribute's SignUp could otherwise set.
    web_new = admin.describe_user_pool_client(
        UserPoolId=new_pool, ClientId=ids["ClientIds"][old_clients["web"]]
    )["UserPoolClient"]
    assert (
        "WriteAttributes"
        not in old_admin.describe_user_pool_client(
            UserPoolId=s.pool_id, ClientId=old_clients["web"]
        )["UserPoolClient"]
    )
    assert {"email", "name", "custom:tier"} <= set(web_new["WriteAttributes"])
    assert "custom:legacy_sub" not in web_new["WriteAttributes"]
    assert "PreSignUp" not in pool["LambdaConfig"]  # the sign-up guard only when asked
    # Users are not imported: the UserMigration trigger brings each at their first sign-in.
    assert admin.list_users(UserPoolId=new_pool)["Users"] == []

    again = run_import(s, "--migration-function", MIGRATION_ARN, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == ids
    assert f"pool shop-users: exists as {new_pool}" in again.stderr
    assert "client web: exists" in again.stderr and "group admins: exists" in again.stderr
    assert new_pools(s) == [new_pool]
    assert len(admin.list_user_pool_clients(UserPoolId=new_pool)["UserPoolClients"]) == 2
    assert len(admin.list_groups(UserPoolId=new_pool)["Groups"]) == 2


def test_users_are_exported_and_created_only_at_the_end(servers: Servers) -> None:
    s = servers
    first = run_import(s, "--migration-function", MIGRATION_ARN, "--json")
    assert first.returncode == 0, first.stderr
    new_pool = json.loads(first.stdout)["UserPoolId"][s.pool_id]
    admin = s.new.admin()
    # bob came over through the trigger already (stood in for here by a direct creation).
    make_user(s.new, new_pool, "bob", attributes={"name": "Bob"})

    out = s.tmp / "users.jsonl"
    exported = run_import(s, "--export-users", str(out))
    assert exported.returncode == 0, exported.stderr
    records = {r["Username"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert set(records) == {"alice", "bob"}
    assert records["alice"]["Groups"] == ["admins"]
    assert records["alice"]["Attributes"]["custom:tier"] == "gold"
    assert "users: 2 written" in exported.stdout
    assert [u["Username"] for u in admin.list_users(UserPoolId=new_pool)["Users"]] == ["bob"]

    ended = run_import(s, "--export-users", str(out), "--create-users", "--suppress-invitations")
    assert ended.returncode == 0, ended.stderr
    assert "user alice: created" in ended.stdout and "user bob: exists" in ended.stdout
    alice = admin.admin_get_user(UserPoolId=new_pool, Username="alice")
    attrs = {a["Name"]: a["Value"] for a in alice["UserAttributes"]}
    assert attrs["custom:tier"] == "gold" and attrs["email"] == "alice@example.com"
    assert alice["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    got = admin.admin_list_groups_for_user(UserPoolId=new_pool, Username="alice")
    assert [g["GroupName"] for g in got["Groups"]] == ["admins"]
    assert s.new.outbox(new_pool) == []  # invitations suppressed


def test_create_users_needs_the_export(servers: Servers) -> None:
    done = run_import(servers, "--create-users")
    assert done.returncode == 2
    assert "--create-users needs --export-users" in done.stderr


def test_the_sweep_in_a_pool_that_signs_in_by_email(servers: Servers) -> None:
    """Pools with UsernameAttributes [email] name users by a generated id and create them by
    their email: the sweep does so, keeps the old sub and adds the groups."""
    s = servers
    admin = s.old.admin()
    pool_id = str(make_pool(s.old, PoolName="by-email", UsernameAttributes=["email"])["Id"])
    admin.create_group(UserPoolId=pool_id, GroupName="readers")
    made = admin.admin_create_user(
        UserPoolId=pool_id,
        Username="fay@example.com",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "fay@example.com"}],
    )["User"]
    old_name = made["Username"]
    assert old_name != "fay@example.com"  # the pool named her by an id
    admin.admin_add_user_to_group(UserPoolId=pool_id, Username=old_name, GroupName="readers")
    old_sub = next(a["Value"] for a in made["Attributes"] if a["Name"] == "sub")

    out = s.tmp / "by-email.jsonl"
    done = run_import(
        s,
        "--legacy-sub-attribute",
        "custom:legacy_sub",
        "--export-users",
        str(out),
        "--create-users",
        "--suppress-invitations",
        "--json",
        pool=pool_id,
    )
    assert done.returncode == 0, done.stderr
    new_pool = json.loads(done.stdout)["UserPoolId"][pool_id]
    new = s.new.admin()
    fay = new.admin_get_user(UserPoolId=new_pool, Username="fay@example.com")
    attrs = {a["Name"]: a["Value"] for a in fay["UserAttributes"]}
    assert attrs["custom:legacy_sub"] == old_sub != attrs["sub"]
    got = new.admin_list_groups_for_user(UserPoolId=new_pool, Username=fay["Username"])
    assert [g["GroupName"] for g in got["Groups"]] == ["readers"]
    assert f"user {old_name}: created as {fay['Username']}" in done.stderr

    # A user the new pool refuses (an attribute added to the old schema after the import) is
    # reported, the others still handled, and the run exits 1.
    admin.add_custom_attributes(
        UserPoolId=pool_id, CustomAttributes=[{"Name": "late", "AttributeDataType": "String"}]
    )
    gus = admin.admin_create_user(
        UserPoolId=pool_id,
        Username="gus@example.com",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "gus@example.com"},
            {"Name": "custom:late", "Value": "1"},
        ],
    )["User"]["Username"]
    again = run_import(s, "--export-users", str(out), "--create-users", pool=pool_id)
    assert again.returncode == 1, again.stderr
    assert f"user {gus}: not created: InvalidParameterException" in again.stdout
    assert f"user {old_name}: exists (migrated)" in again.stdout
    assert "users: 1 not created" in again.stdout
