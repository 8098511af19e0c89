"""MFA in live tests: pools with factors on, TOTP codes that each work once, enrolled users."""

from __future__ import annotations

import time
from typing import Any

import pyotp
from tests.support.factories import PASSWORD, make_client, make_pool, sign_in
from tests.support.live import Server

STEP = 30


class Totp:
    """An authenticator app: each code() is for a later time step than the one before (the
    server takes each step once), within the one step of drift either way it allows, and
    valid for a few seconds more (a code about to fall out of the window is skipped)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._last: int | None = None

    def code(self) -> str:
        self._last = next_step(self._last)
        return str(pyotp.TOTP(self.secret).at(self._last * STEP))


def next_step(last: int | None, now: float | None = None, margin: float = 10.0) -> int:
    """The earliest time step after `last` whose code the server accepts now and for at least
    `margin` seconds more."""
    moment = time.time() if now is None else now
    current = int(moment) // STEP
    left = (current + 1) * STEP - moment  # the previous step's code works this much longer
    earliest = current - 1 if left > margin else current
    step = earliest if last is None else max(last + 1, earliest)
    assert step <= current + 1, "every code in the drift window is used"
    return step


def mfa_pool(
    server: Server,
    mode: str = "ON",
    *,
    sms: bool = True,
    totp: bool = True,
    email: bool = False,
    client: dict[str, Any] | None = None,
    **pool: Any,
) -> tuple[str, str]:
    """A pool with MFA `mode` and the factors asked for, and a client: (pool id, client id)."""
    pool_id = make_pool(server, **pool)["Id"]
    config: dict[str, Any] = {
        "UserPoolId": pool_id,
        "MfaConfiguration": mode,
        "SoftwareTokenMfaConfiguration": {"Enabled": totp},
    }
    if sms:
        config["SmsMfaConfiguration"] = {"SmsAuthenticationMessage": "Your code is {####}"}
    if email:
        config["EmailMfaConfiguration"] = {"Message": "Code {####}", "Subject": "Sign-in code"}
    server.admin().set_user_pool_mfa_config(**config)
    client_id = make_client(server, pool_id, **(client or {}))["ClientId"]
    return pool_id, str(client_id)


def enroll_totp(
    server: Server, pool_id: str, client_id: str, username: str, preferred: bool = True
) -> Totp:
    """A verified software token for a user who can still sign in without MFA."""
    public = server.public()
    token = sign_in(server, client_id, username, PASSWORD)["AccessToken"]
    secret = public.associate_software_token(AccessToken=token)["SecretCode"]
    totp = Totp(secret)
    public.verify_software_token(AccessToken=token, UserCode=totp.code(), FriendlyDeviceName="app")
    server.admin().admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username=username,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": preferred},
    )
    return totp
