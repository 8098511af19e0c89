"""Copy a user pool from Amazon Cognito (or any Cognito-compatible endpoint) to mamori through
both sides' admin APIs: the pool's settings and schema, MFA configuration, resource servers,
groups and app clients (secrets kept), with the UserMigration trigger set; the users come
through that trigger (their export and the end-of-migration sweep: cognito_users.py;
docs/migrating.md). Re-running skips what exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mamori.contrib.cognito_migration import UNWRITABLE, Endpoint

IMPORTED_FROM_TAG = "mamori:imported-from"
# DescribeUserPool members CreateUserPool takes as they are (the others are handled below).
_POOL_SKIPPED = frozenset({"PoolName", "Schema", "LambdaConfig", "UserPoolTags"})
# Attributes no app client may be granted to write (Cognito refuses them in WriteAttributes).
_NEVER_WRITABLE = frozenset({"sub", "email_verified", "phone_number_verified", "identities"})
# DescribeUserPoolClient members CreateUserPoolClient takes as they are.
_CLIENT_SKIPPED = frozenset(
    {
        "UserPoolId",
        "GenerateSecret",
        "ClientSecret",
        "SupportedIdentityProviders",
        "AnalyticsConfiguration",  # Pinpoint: nothing on the mamori side to send to
        "PublishSecretsInAWSSecretsManager",
    }
)


@dataclass(frozen=True)
class Options:
    migration_function: str | None = None
    groups_function: str | None = None
    sign_up_function: str | None = None  # PreSignUp: the sign-up guard
    copy_triggers: bool = True
    dry_run: bool = False
    # The custom attribute the migration function keeps the old `sub` in (its
    # LEGACY_SUB_ATTRIBUTE), added to the new pool's schema.
    legacy_sub_attribute: str | None = None


@dataclass
class Report:
    """What the run did (or, dry, would do), and the old ids mapped to the new ones."""

    pool_id: str | None = None
    clients: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    failed: bool = False  # something was refused (said in `lines`)

    def say(self, line: str) -> None:
        self.lines.append(line)

    def as_json(self, old_pool_id: str) -> dict[str, Any]:
        return {"UserPoolId": {old_pool_id: self.pool_id}, "ClientIds": self.clients}


def make_client(endpoint: Endpoint) -> Any:
    import botocore.config
    import botocore.session

    return botocore.session.get_session().create_client(
        "cognito-idp",
        region_name=endpoint.region,
        endpoint_url=endpoint.url,
        aws_access_key_id=endpoint.access_key_id,
        aws_secret_access_key=endpoint.secret_access_key,
        config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 5}),
    )


def pages(idp: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    for page in idp.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def _input_members(idp: Any, operation: str) -> frozenset[str]:
    return frozenset(idp.meta.service_model.operation_model(operation).input_shape.members)


class PoolCopy:
    """One old pool copied into the new server: `run` does it all, each step skips what the new
    pool has already (found by the `mamori:imported-from` tag, then by name)."""

    def __init__(self, source: Any, target: Any, old_pool_id: str, options: Options) -> None:
        self.source, self.target, self.old_pool_id, self.options = (
            source,
            target,
            old_pool_id,
            options,
        )
        self.report = Report()
        self._existed = False

    def run(self) -> Report:
        old = self.source.describe_user_pool(UserPoolId=self.old_pool_id)["UserPool"]
        pool_id = self.pool(old)
        self.report.pool_id = pool_id
        self.mfa(pool_id)
        self.resource_servers(pool_id)
        self.groups(pool_id)
        self.clients(pool_id)
        return self.report

    # The pool

    def find_pool(self) -> str | None:
        for summary in pages(self.target, "list_user_pools", "UserPools", MaxResults=60):
            pool = self.target.describe_user_pool(UserPoolId=summary["Id"])["UserPool"]
            if (pool.get("UserPoolTags") or {}).get(IMPORTED_FROM_TAG) == self.old_pool_id:
                return str(pool["Id"])
        return None

    def pool(self, old: dict[str, Any]) -> str | None:
        found = self.find_pool()
        if found:
            self._existed = True
            self.report.say(f"pool {old['Name']}: exists as {found}, left as it is")
            return found
        params = self.pool_params(old)
        triggers = ", ".join(sorted(params.get("LambdaConfig", {}))) or "none"
        if self.options.dry_run:
            self.report.say(f"pool {old['Name']}: would be created (triggers: {triggers})")
            return None
        new_id = str(self.target.create_user_pool(**params)["UserPool"]["Id"])
        self.report.say(f"pool {old['Name']}: created as {new_id} (triggers: {triggers})")
        return new_id

    def pool_params(self, old: dict[str, Any]) -> dict[str, Any]:
        members = _input_members(self.target, "CreateUserPool")
        params: dict[str, Any] = {
            k: v for k, v in old.items() if k in members and k not in _POOL_SKIPPED
        }
        params["PoolName"] = old["Name"]
        params["UserPoolTags"] = {
            **(old.get("UserPoolTags") or {}),
            IMPORTED_FROM_TAG: self.old_pool_id,
        }
        admin = dict(params.get("AdminCreateUserConfig") or {})
        if "UnusedAccountValidityDays" in admin:
            # Deprecated, and refused beside the password policy's TemporaryPasswordValidityDays.
            del admin["UnusedAccountValidityDays"]
            params["AdminCreateUserConfig"] = admin
        schema = [s for s in map(_schema_attribute, old.get("SchemaAttributes", [])) if s]
        legacy = (self.options.legacy_sub_attribute or "").removeprefix("custom:")
        if legacy and all(s["Name"] != legacy for s in schema):
            schema.append(
                {
                    "Name": legacy,
                    "AttributeDataType": "String",
                    # Written once, by the migration; the group step trusts it.
                    "Mutable": False,
                    "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"},
                }
            )
        if schema:
            params["Schema"] = schema
        lambdas = self.lambda_config(old.get("LambdaConfig") or {})
        if lambdas:
            params["LambdaConfig"] = lambdas
        return params

    def lambda_config(self, old: dict[str, Any]) -> dict[str, Any]:
        config = dict(old) if self.options.copy_triggers else {}
        if self.options.migration_function:
            if config.get("UserMigration"):
                self.report.say(
                    f"warning: the old pool's UserMigration {config['UserMigration']} is "
                    "replaced by the migration function"
                )
            config["UserMigration"] = self.options.migration_function
        if self.options.groups_function:
            if config.get("PostAuthentication"):
                self.report.say(
                    f"warning: the old pool's PostAuthentication {config['PostAuthentication']} "
                    "is replaced by the groups function: call it from yours instead"
                )
            config["PostAuthentication"] = self.options.groups_function
        if self.options.sign_up_function:
            if config.get("PreSignUp"):
                self.report.say(
                    f"warning: the old pool's PreSignUp {config['PreSignUp']} is replaced by the "
                    "sign-up guard: call guard_sign_up from yours instead"
                )
            config["PreSignUp"] = self.options.sign_up_function
        return config

    def mfa(self, pool_id: str | None) -> None:
        old = self.source.get_user_pool_mfa_config(UserPoolId=self.old_pool_id)
        if old.get("MfaConfiguration", "OFF") == "OFF" or self._existed:
            return
        members = _input_members(self.target, "SetUserPoolMfaConfig")
        params = {k: v for k, v in old.items() if k in members}
        if self.options.dry_run or pool_id is None:
            self.report.say(f"mfa: would be {old['MfaConfiguration']}")
            return
        self.target.set_user_pool_mfa_config(UserPoolId=pool_id, **params)
        self.report.say(f"mfa: {old['MfaConfiguration']}")

    # What hangs off the pool

    def resource_servers(self, pool_id: str | None) -> None:
        have = (
            {
                s["Identifier"]
                for s in pages(
                    self.target, "list_resource_servers", "ResourceServers", **_pool(pool_id)
                )
            }
            if pool_id
            else set()
        )
        old = pages(
            self.source,
            "list_resource_servers",
            "ResourceServers",
            UserPoolId=self.old_pool_id,
            MaxResults=50,
        )
        for server in old:
            ident = server["Identifier"]
            if ident in have:
                self.report.say(f"resource server {ident}: exists")
            elif self.options.dry_run or pool_id is None:
                self.report.say(f"resource server {ident}: would be created")
            else:
                self.target.create_resource_server(
                    UserPoolId=pool_id,
                    Identifier=ident,
                    Name=server["Name"],
                    Scopes=server.get("Scopes", []),
                )
                self.report.say(f"resource server {ident}: created")

    def groups(self, pool_id: str | None) -> None:
        have = (
            {
                g["GroupName"]
                for g in pages(self.target, "list_groups", "Groups", UserPoolId=pool_id)
            }
            if pool_id
            else set()
        )
        for group in pages(self.source, "list_groups", "Groups", UserPoolId=self.old_pool_id):
            name = group["GroupName"]
            if name in have:
                self.report.say(f"group {name}: exists")
                continue
            if self.options.dry_run or pool_id is None:
                self.report.say(f"group {name}: would be created")
                continue
            params = {k: group[k] for k in ("Description", "Precedence", "RoleArn") if k in group}
            self.target.create_group(UserPoolId=pool_id, GroupName=name, **params)
            self.report.say(f"group {name}: created")

    def writable(self, pool_id: str) -> list[str]:
        pool = self.target.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        return _writable_names(pool, self.options.legacy_sub_attribute)

    def clients(self, pool_id: str | None) -> None:
        have: dict[str, str] = {}
        providers = {"COGNITO"}
        if pool_id:
            have = {
                c["ClientName"]: c["ClientId"]
                for c in pages(
                    self.target, "list_user_pool_clients", "UserPoolClients", UserPoolId=pool_id
                )
            }
            providers |= {
                p["ProviderName"]
                for p in pages(
                    self.target, "list_identity_providers", "Providers", UserPoolId=pool_id
                )
            }
        members = _input_members(self.target, "CreateUserPoolClient")
        writable = self.writable(pool_id) if pool_id else []
        summaries = pages(
            self.source, "list_user_pool_clients", "UserPoolClients", UserPoolId=self.old_pool_id
        )
        for summary in summaries:
            old = self.source.describe_user_pool_client(
                UserPoolId=self.old_pool_id, ClientId=summary["ClientId"]
            )["UserPoolClient"]
            name, old_id = old["ClientName"], old["ClientId"]
            if name in have:
                self.report.clients[old_id] = have[name]
                self.report.say(f"client {name}: exists as {have[name]}")
                continue
            if self.options.dry_run or pool_id is None:
                self.report.say(f"client {name}: would be created")
                continue
            params = {k: v for k, v in old.items() if k in members and k not in _CLIENT_SKIPPED}
            if old.get("ClientSecret"):
                # The same secret, so apps keep theirs (and their SECRET_HASH) on the new server.
                params["ClientSecret"] = old["ClientSecret"]
            if self.options.legacy_sub_attribute and not old.get("WriteAttributes"):
                # No list means every attribute, and an immutable one can still be given at
                # SignUp: name them all but the legacy sub, which only the migration writes.
                params["WriteAttributes"] = writable
            wanted = old.get("SupportedIdentityProviders") or []
            if wanted:
                params["SupportedIdentityProviders"] = [p for p in wanted if p in providers]
                missing = sorted(set(wanted) - providers)
                if missing:
                    self.report.say(
                        f"warning: client {name} loses identity providers {', '.join(missing)}: "
                        "create them on the new pool and update the client"
                    )
            made = self.target.create_user_pool_client(UserPoolId=pool_id, **params)
            new_id = str(made["UserPoolClient"]["ClientId"])
            self.report.clients[old_id] = new_id
            self.report.say(f"client {name}: created as {new_id}")


def _writable_names(pool: dict[str, Any], legacy: str | None) -> list[str]:
    return [
        str(a["Name"])
        for a in pool.get("SchemaAttributes", [])
        if a.get("Mutable", True) and a["Name"] not in _NEVER_WRITABLE and a["Name"] != legacy
    ]


def _pool(pool_id: str | None) -> dict[str, Any]:
    return {"UserPoolId": pool_id, "MaxResults": 50}


def _schema_attribute(attr: dict[str, Any]) -> dict[str, Any] | None:
    """A DescribeUserPool schema attribute as CreateUserPool's Schema takes it: custom ones by
    their name without `custom:`; standard ones only where they differ from the defaults."""
    name = str(attr["Name"])
    custom = name.startswith(("custom:", "dev:custom:"))
    if name in UNWRITABLE:
        return None
    if not custom and not attr.get("Required") and attr.get("Mutable", True):
        return None
    out = dict(attr)
    out["Name"] = name.removeprefix("dev:").removeprefix("custom:")
    if name.startswith("dev:"):
        out["DeveloperOnlyAttribute"] = True
    return out
