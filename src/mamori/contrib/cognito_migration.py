"""A UserMigration function that moves users from an Amazon Cognito user pool (or any
Cognito-compatible endpoint) at their first sign-in or forgot-password, with a PostAuthentication
step that copies their group memberships and a PreSignUp guard that keeps the old pool's names
from being signed up anew. Runs on AWS Lambda or in-process (docs/migrating.md).

Cognito never exports password hashes, so the old pool proves the password itself: the function
calls its AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH) with what the user typed, then reads the
user's attributes with AdminGetUser. It imports only the standard library at load time; botocore
(shipped with boto3, and in every Lambda Python runtime) is imported on the first call.

Settings, from the environment:

- OLD_USER_POOL_ID (required), OLD_CLIENT_ID (required: an app client of the old pool with
  ALLOW_ADMIN_USER_PASSWORD_AUTH), OLD_CLIENT_SECRET (when that client has a secret),
  OLD_REGION (default: the pool id's prefix), OLD_ENDPOINT (a Cognito-compatible endpoint, such as
  another mamori; default AWS), OLD_ACCESS_KEY_ID / OLD_SECRET_ACCESS_KEY (default: botocore's
  credential chain, e.g. the Lambda's role);
- LEGACY_SUB_ATTRIBUTE (e.g. `custom:legacy_sub`): keep the old `sub` in this attribute, since
  the new pool gives every user a new `sub`;
- MFA_USERS: `refuse` (default) or `migrate`, for users the old pool asks for a second factor;
- for the PostAuthentication step: NEW_ENDPOINT, NEW_REGION (default: the event's),
  NEW_ACCESS_KEY_ID / NEW_SECRET_ACCESS_KEY: the new pool's admin API.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Attributes a user pool makes itself and no one may set: the new pool gives its own `sub`.
UNWRITABLE = frozenset({"sub", "identities", "cognito:user_status", "cognito:mfa_enabled"})
# Challenges the old pool sends only after the password was verified, asking a second factor.
MFA_CHALLENGES = frozenset({"SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SELECT_MFA_TYPE"})
# The password was right, but the old pool wants one of the user's own: migrate, then reset.
RESET_CHALLENGES = frozenset({"NEW_PASSWORD_REQUIRED"})
# The password was right and the user has no second factor yet: the new pool's MFA applies.
PASSWORD_PROVEN = frozenset({"MFA_SETUP"})
REFUSED = "Incorrect username or password."
TAKEN = "An account with this name, email or phone number exists: sign in with its password."
_SUB = re.compile(r"[0-9A-Fa-f-]{1,64}")
# Outcomes only, never the event: it carries the password in clear.
log = logging.getLogger("mamori.contrib.cognito_migration")


class MigrationRefused(Exception):
    """The user is not migrated; the message is what the function reports to the pool."""


@dataclass(frozen=True)
class Endpoint:
    """Where a user pool's API answers, and the credentials to sign with (None: botocore's
    credential chain)."""

    region: str
    url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class OldPool:
    pool_id: str
    client_id: str
    endpoint: Endpoint
    client_secret: str | None = field(default=None, repr=False)
    legacy_sub_attribute: str | None = None
    migrate_mfa_users: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OldPool:
        try:
            pool_id, client_id = env["OLD_USER_POOL_ID"], env["OLD_CLIENT_ID"]
        except KeyError as missing:
            raise MigrationRefused(f"migration function: {missing.args[0]} is not set") from None
        mfa = env.get("MFA_USERS", "refuse")
        if mfa not in ("refuse", "migrate"):
            raise MigrationRefused("migration function: MFA_USERS is refuse or migrate")
        return cls(
            pool_id=pool_id,
            client_id=client_id,
            endpoint=Endpoint(
                region=env.get("OLD_REGION") or pool_id.split("_", 1)[0],
                url=env.get("OLD_ENDPOINT") or None,
                access_key_id=env.get("OLD_ACCESS_KEY_ID") or None,
                secret_access_key=env.get("OLD_SECRET_ACCESS_KEY") or None,
            ),
            client_secret=env.get("OLD_CLIENT_SECRET") or None,
            legacy_sub_attribute=env.get("LEGACY_SUB_ATTRIBUTE") or None,
            migrate_mfa_users=mfa == "migrate",
        )


@functools.lru_cache(maxsize=8)
def client(endpoint: Endpoint) -> Any:
    """A cognito-idp client for `endpoint`, made once per process (Lambda reuses it warm)."""
    import botocore.config
    import botocore.session

    return botocore.session.get_session().create_client(
        "cognito-idp",
        region_name=endpoint.region,
        endpoint_url=endpoint.url,
        aws_access_key_id=endpoint.access_key_id,
        aws_secret_access_key=endpoint.secret_access_key,
        # Cognito gives the whole trigger 5 seconds: one quick attempt, no retries.
        config=botocore.config.Config(
            connect_timeout=2, read_timeout=3, retries={"total_max_attempts": 1}
        ),
    )


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """SECRET_HASH: Base64(HMAC-SHA256(client secret, username + client id))."""
    mac = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def _error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or "") or None
    return None


def prove_password(old: OldPool, username: str, password: str) -> tuple[str, str | None]:
    """Sign in to the old pool: ("CONFIRMED" | "RESET_REQUIRED", the MFA challenge if any).
    Raises MigrationRefused when the old pool does not accept the password."""
    params = {"USERNAME": username, "PASSWORD": password}
    if old.client_secret:
        params["SECRET_HASH"] = secret_hash(username, old.client_id, old.client_secret)
    try:
        answer = client(old.endpoint).admin_initiate_auth(
            UserPoolId=old.pool_id,
            ClientId=old.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters=params,
        )
    except Exception as exc:
        code = _error_code(exc)
        if code in ("NotAuthorizedException", "UserNotFoundException"):
            raise MigrationRefused(REFUSED) from None
        if code in ("PasswordResetRequiredException", "UserNotConfirmedException"):
            # The old pool would not let this user sign in either: forgot password migrates them.
            raise MigrationRefused(f"The user cannot sign in yet ({code}).") from None
        raise
    challenge = answer.get("ChallengeName")
    if challenge is None and "AuthenticationResult" in answer:
        return "CONFIRMED", None
    if challenge in RESET_CHALLENGES:
        return "RESET_REQUIRED", None
    if challenge in PASSWORD_PROVEN:
        return "CONFIRMED", None
    if challenge in MFA_CHALLENGES:
        if not old.migrate_mfa_users:
            # The function cannot answer the user's second factor, and migrating on the password
            # alone would let a stolen password past it: such users migrate by forgot password.
            raise MigrationRefused(
                "This user has MFA in the old user pool: reset the password to migrate."
            )
        return "CONFIRMED", str(challenge)
    raise MigrationRefused(f"The old user pool asked for {challenge}; not migrated.")


def old_user(old: OldPool, username: str) -> dict[str, Any]:
    """AdminGetUser on the old pool; MigrationRefused for an unknown or disabled user."""
    try:
        user = client(old.endpoint).admin_get_user(UserPoolId=old.pool_id, Username=username)
    except Exception as exc:
        if _error_code(exc) == "UserNotFoundException":
            raise MigrationRefused("User does not exist.") from None
        raise
    if not user.get("Enabled", True):
        raise MigrationRefused("User is disabled.")
    return dict(user)


def migrated_attributes(old: OldPool, user: Mapping[str, Any]) -> dict[str, str]:
    """The old user's attributes as the new pool takes them: without what a pool makes itself
    (`sub`, `identities`), the old `sub` kept in LEGACY_SUB_ATTRIBUTE when set, developer-only
    attributes (`dev:custom:x`) under their plain names."""
    out: dict[str, str] = {}
    for attr in user.get("UserAttributes", []):
        name, value = str(attr["Name"]), str(attr.get("Value", ""))
        if name == "sub" and old.legacy_sub_attribute:
            out[old.legacy_sub_attribute] = value
        if name in UNWRITABLE or name.startswith("cognito:"):
            continue
        out[name.removeprefix("dev:")] = value
    return out


def user_migration(event: dict[str, Any], old: OldPool) -> dict[str, Any]:
    source = event.get("triggerSource")
    username = str(event["userName"])
    response = dict(event.get("response") or {})
    if source == "UserMigration_Authentication":
        password = str((event.get("request") or {}).get("password") or "")
        if not password:
            raise MigrationRefused(REFUSED)
        status, mfa = prove_password(old, username, password)
        response["userAttributes"] = migrated_attributes(old, old_user(old, username))
        response["finalUserStatus"] = status
        response["messageAction"] = "SUPPRESS"
        if mfa == "SMS_MFA":
            response["enableSMSMFA"] = True
    elif source == "UserMigration_ForgotPassword":
        # No password to prove: the new pool sends its reset code to the verified email or
        # phone copied here, and the user chooses a new password.
        response["userAttributes"] = migrated_attributes(old, old_user(old, username))
        response["messageAction"] = "SUPPRESS"
    else:
        raise MigrationRefused(f"Not a UserMigration event: {source}")
    return {**event, "response": response}


def copy_groups(event: dict[str, Any], old: OldPool, new: Endpoint) -> None:
    """Add a migrated user to the groups they had in the old pool that exist in the new one.
    The UserMigration answer cannot carry groups, so this runs at PostAuthentication.

    The old user is found only by the old `sub` the migration wrote in LEGACY_SUB_ATTRIBUTE,
    never by name: someone who signed up anew under a name the old pool also has must not get
    that user's groups. So that attribute must be one no app client can write (import-cognito
    makes it immutable and leaves it out of every client's WriteAttributes)."""
    if not old.legacy_sub_attribute:
        raise MigrationRefused("migration function: the group step needs LEGACY_SUB_ATTRIBUTE")
    attributes = (event.get("request") or {}).get("userAttributes") or {}
    legacy_sub = str(attributes.get(old.legacy_sub_attribute) or "")
    if not _SUB.fullmatch(legacy_sub):
        return  # not a migrated user (signed up here, or created by the sweep without one)
    old_idp = client(old.endpoint)
    found = old_idp.list_users(UserPoolId=old.pool_id, Filter=f'sub = "{legacy_sub}"', Limit=1).get(
        "Users", []
    )
    if not found:
        return
    wanted = _groups(old_idp, old.pool_id, str(found[0]["Username"]))
    if not wanted:
        return
    pool_id, username = str(event["userPoolId"]), str(event["userName"])
    new_idp = client(new)
    for group in sorted(wanted - _groups(new_idp, pool_id, username)):
        try:
            new_idp.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
        except Exception as exc:
            if _error_code(exc) != "ResourceNotFoundException":  # a group not imported
                raise


def guard_sign_up(event: dict[str, Any], old: OldPool) -> None:
    """PreSignUp_SignUp while users are still moving: refuse a new account under a username,
    email or phone number the old pool already has. Its owner signs in with their old password
    instead, which migrates them; a stranger signing up first would otherwise take the name and
    leave the real user unable to migrate (UserMigration runs only for unknown names)."""
    idp = client(old.endpoint)
    try:
        idp.admin_get_user(UserPoolId=old.pool_id, Username=str(event["userName"]))
    except Exception as exc:
        if _error_code(exc) != "UserNotFoundException":
            raise
    else:
        raise MigrationRefused(TAKEN)
    attributes = (event.get("request") or {}).get("userAttributes") or {}
    for name in ("email", "phone_number"):
        value = str(attributes.get(name) or "")
        if not value or '"' in value or "\\" in value:
            continue
        users = idp.list_users(UserPoolId=old.pool_id, Filter=f'{name} = "{value}"', Limit=1)
        if users.get("Users"):
            raise MigrationRefused(TAKEN)


def _groups(idp: Any, pool_id: str, username: str) -> set[str]:
    names: set[str] = set()
    for page in idp.get_paginator("admin_list_groups_for_user").paginate(
        UserPoolId=pool_id, Username=username
    ):
        names.update(str(g["GroupName"]) for g in page.get("Groups", []))
    return names


def new_pool_from_env(env: Mapping[str, str], region: str) -> Endpoint:
    if not env.get("NEW_ENDPOINT") and not env.get("NEW_REGION"):
        raise MigrationRefused("migration function: NEW_ENDPOINT or NEW_REGION is not set")
    return Endpoint(
        region=env.get("NEW_REGION") or region,
        url=env.get("NEW_ENDPOINT") or None,
        access_key_id=env.get("NEW_ACCESS_KEY_ID") or None,
        secret_access_key=env.get("NEW_SECRET_ACCESS_KEY") or None,
    )


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    """The Lambda entry point (and the in-process one): UserMigration_Authentication,
    UserMigration_ForgotPassword, PostAuthentication_Authentication (the group step) and
    PreSignUp_SignUp (the sign-up guard)."""
    source = str(event.get("triggerSource", ""))
    try:
        old = OldPool.from_env(os.environ)
        if source.startswith("PostAuthentication_"):
            copy_groups(event, old, new_pool_from_env(os.environ, str(event.get("region", ""))))
            return event
        if source.startswith("PreSignUp_"):
            if source == "PreSignUp_SignUp":  # not the sweep's AdminCreateUser, nor federation
                guard_sign_up(event, old)
            return event
        answer = user_migration(event, old)
    except MigrationRefused as refused:
        log.info("%s: refused: %s", source, refused)
        raise
    except Exception as exc:
        log.warning("%s: the old user pool failed: %s", source, type(exc).__name__)
        raise
    log.info("%s: migrated (%s)", source, answer["response"].get("finalUserStatus") or "default")
    return answer
