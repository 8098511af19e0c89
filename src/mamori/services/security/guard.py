"""Guessing protection: Cognito's lockout after failed sign-ins (per user), request-rate limits
per client IP and per user (token buckets), and quotas on code sends per user and destination,
on counters every server process shares (docs/security.md lists every limit)."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType

from mamori.domain.errors import (
    LimitExceededException,
    NotAuthorizedException,
    TooManyRequestsException,
)
from mamori.domain.security.lockout import (
    FREE_FAILURES,
    IDLE_RESET,
    Failures,
    attempt_cutoffs,
    locked_until,
)
from mamori.services.ports import Clock
from mamori.services.security.ports import Bucket, Counters

# Cognito: the message of NotAuthorizedException while a user is locked out.
LOCKED = "Password attempts exceeded"
THROTTLED = "Too many requests."
# Cognito: LimitExceededException's message when codes are asked for too often, and when
# ChangePassword is tried too often.
ATTEMPT_LIMIT = "Attempt limit exceeded, please try after some time."
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
# Code sends: this many at once, then the hourly rate (the quota) on average.
SEND_BURST = 5


class Limited(StrEnum):
    """Operations counted together: a limit applies to each kind separately."""

    SIGN_IN = "sign-in"  # password sign-in (InitiateAuth, AdminInitiateAuth, SRP, USER_AUTH)
    CHALLENGE = "challenge"  # RespondToAuthChallenge / AdminRespondToAuthChallenge answers
    PASSWORD = "password"  # ChangePassword
    SIGN_UP = "sign-up"
    CODE = "code"  # operations that send or check a code: confirm, resend, forgot password


# User-pool operations that create users or send or check codes, rate-limited per client IP
# and per username before they run (`Guard.check_operation`). Password sign-in is limited
# inside the auth service, which also counts its failures for the lockout.
RATE_LIMITED_OPERATIONS: Mapping[str, Limited] = MappingProxyType(
    {
        "SignUp": Limited.SIGN_UP,
        "ConfirmSignUp": Limited.CODE,
        "ResendConfirmationCode": Limited.CODE,
        "ForgotPassword": Limited.CODE,
        "ConfirmForgotPassword": Limited.CODE,
        # By access token: no username in the request, so per client IP only.
        "GetUserAttributeVerificationCode": Limited.CODE,
        "VerifyUserAttribute": Limited.CODE,
    }
)


@dataclass(frozen=True)
class Rate:
    """A token bucket's settings: `burst` requests at once, then `per_second` (0: off)."""

    per_second: int
    burst: int

    def bucket(self, key: str) -> Bucket:
        return Bucket(key, SECOND / self.per_second, max(1, self.burst))


@dataclass(frozen=True)
class GuardPolicy:
    lockout: bool = True
    ip: Rate = Rate(20, 40)  # requests of one kind per client IP
    user: Rate = Rate(1, 10)  # requests of one kind per user (or username as typed)
    sends_per_user_hour: int = 10  # codes and invitations sent to one user; 0: no quota
    sends_per_destination_hour: int = 10  # ... to one phone number or email address


@dataclass(frozen=True)
class SignInAttempt:
    """A lockout count to act on once the password or code is checked: `counted` when there is
    one for `record_success` to clear (the attempt's own, counted before the check, or earlier
    failures)."""

    key: str
    counted: bool


def _digest(*parts: str) -> str:
    # Counter keys carry no username or address in clear (Redis and the table are not secret).
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:40]


def ip_scope(ip: str) -> str:
    """The address a limit counts: IPv4 as is, IPv6 by its /64 (one host usually holds a
    whole /64, so counting single IPv6 addresses would let it rotate past any limit)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def username_key(scope: str, username: str) -> str:
    """A username within its pool or client, case-folded: "Alice" and "alice" count as one.

    Keyed by what the caller typed, never by a lookup: unknown usernames are counted and
    locked exactly like known ones, so neither reveals whether an account exists.
    """
    return f"{scope}\x00{username.casefold()}"


def user_key(pool_id: str, typed: str, sub: str | None) -> str:
    """Who a sign-in's lockout and per-user limits count: a known user by its sub, whatever
    identifier it was named by (username, email, phone number, sub) and whichever client or
    entry point was used; an unknown one by the name as typed (case-folded), so that it is
    counted and locked exactly like a known one."""
    if sub:
        return f"{pool_id}\x00sub\x00{sub}"
    return username_key(pool_id, typed)


class Guard:
    def __init__(self, counters: Counters, clock: Clock, policy: GuardPolicy) -> None:
        self._counters = counters
        self._clock = clock
        self._policy = policy

    async def check_rate(self, kind: Limited, ip: str | None, user: str | None) -> None:
        """TooManyRequestsException when the client IP's or the user's bucket (`user_key` or
        `username_key`) for this kind of request is empty. `ip` is None for callers that are
        not the end user (a signed admin call without ContextData)."""
        buckets: list[Bucket] = []
        if ip and self._policy.ip.per_second:
            buckets.append(self._policy.ip.bucket("r" + _digest(kind.value, "ip", ip_scope(ip))))
        if user is not None and self._policy.user.per_second:
            buckets.append(self._policy.user.bucket("r" + _digest(kind.value, "user", user)))
        if not buckets:
            return
        if not all(await self._counters.take(buckets, self._clock.now())):
            raise TooManyRequestsException(THROTTLED)

    async def check_operation(
        self, operation: str, ip: str, client_id: str | None, username: str | None
    ) -> None:
        """The rate limits of a user-pool operation by its name (`RATE_LIMITED_OPERATIONS`),
        before it runs; nothing for an operation that has none there."""
        kind = RATE_LIMITED_OPERATIONS.get(operation)
        if kind is not None:
            await self.check_public_call(kind, ip, client_id, username)

    async def check_public_call(
        self, kind: Limited, ip: str, client_id: str | None, username: str | None
    ) -> None:
        """Rate limits of an unsigned call naming an app client and a username (SignUp,
        ConfirmSignUp, ForgotPassword...): per IP, and per username within the client for the
        operations on an existing user (a username being signed up is nobody's yet)."""
        user = None
        if kind is not Limited.SIGN_UP and client_id and username:
            user = username_key(client_id, username)
        await self.check_rate(kind, ip, user)

    async def check_sign_in(
        self, pool_id: str, username: str, sub: str | None, ip: str | None
    ) -> None:
        """The first request of a sign-in that checks no password yet (SRP's SRP_A, USER_AUTH
        without a password): rate limits, then NotAuthorizedException("Password attempts
        exceeded") while the user (`user_key`) is locked out."""
        await self.check_rate(Limited.SIGN_IN, ip, user_key(pool_id, username, sub))
        await self.check_lockout(pool_id, username, sub)

    async def count_sign_in(
        self, pool_id: str, username: str, sub: str | None, ip: str | None
    ) -> SignInAttempt:
        """Before a password is verified: rate limits, then `count_password`."""
        await self.check_rate(Limited.SIGN_IN, ip, user_key(pool_id, username, sub))
        return await self.count_password(pool_id, username, sub)

    async def check_answer(
        self, pool_id: str, username: str, sub: str | None, ip: str | None
    ) -> None:
        """Rate limits of a challenge answer (RespondToAuthChallenge), per IP and per user."""
        await self.check_rate(Limited.CHALLENGE, ip, user_key(pool_id, username, sub))

    async def count_password(self, pool_id: str, username: str, sub: str | None) -> SignInAttempt:
        """Counts a password attempt as a failure BEFORE it is compared, per user (`user_key`),
        in one atomic step with the lockout check: of any number of concurrent attempts, no
        more are compared than the lockout lets through (five, then one per ended lock).
        NotAuthorizedException("Password attempts exceeded") while the user is locked out,
        whatever the password; such attempts are not counted. A right password then clears
        the count (`record_success`); a wrong one needs nothing more."""
        key = "f" + _digest(user_key(pool_id, username, sub))
        if not self._policy.lockout:
            return SignInAttempt(key, counted=False)
        now = self._clock.now()
        counted = await self._counters.count_attempt(
            key, now, IDLE_RESET, FREE_FAILURES, attempt_cutoffs(now)
        )
        if counted is None:
            raise NotAuthorizedException(LOCKED)
        return SignInAttempt(key, counted=True)

    async def check_lockout(self, pool_id: str, username: str, sub: str | None) -> SignInAttempt:
        """Whether the user is locked out, without counting: for a step that checks no password
        (the SRP exchange's start) or a one-time code, whose own tries are counted atomically
        per code (services/users/codes.py) and whose mismatch `record_failure` adds afterwards."""
        key = "f" + _digest(user_key(pool_id, username, sub))
        if not self._policy.lockout:
            return SignInAttempt(key, counted=False)
        now = self._clock.now()
        tally = await self._counters.peek(key, now)
        if tally is None:
            return SignInAttempt(key, counted=False)
        if locked_until(Failures(tally.count, tally.last), now) is not None:
            raise NotAuthorizedException(LOCKED)
        return SignInAttempt(key, counted=True)

    async def count_password_change(self, pool_id: str, sub: str, ip: str | None) -> SignInAttempt:
        """ChangePassword: rate-limited per IP and per user, and PreviousPassword counted in the
        sign-in lockout before it is compared (`count_password`: a wrong one is a failed
        sign-in). Cognito answers a locked ChangePassword with LimitExceededException."""
        await self.check_rate(Limited.PASSWORD, ip, user_key(pool_id, "", sub))
        try:
            return await self.count_password(pool_id, "", sub)
        except NotAuthorizedException:
            raise LimitExceededException(ATTEMPT_LIMIT) from None

    async def check_send(self, pool_id: str, sub: str, destination: str | None) -> None:
        """Before a code or an invitation is sent: LimitExceededException when the user, or the
        phone number or email address (in any pool), has had its hourly quota."""
        buckets: list[Bucket] = []
        every_user = self._policy.sends_per_user_hour
        if every_user:
            key = "q" + _digest("user", pool_id, sub)
            buckets.append(Bucket(key, HOUR / every_user, min(SEND_BURST, every_user)))
        every_destination = self._policy.sends_per_destination_hour
        if destination and every_destination:
            key = "q" + _digest("to", destination.strip().casefold())
            buckets.append(
                Bucket(key, HOUR / every_destination, min(SEND_BURST, every_destination))
            )
        if buckets and not all(await self._counters.take(buckets, self._clock.now())):
            raise LimitExceededException(ATTEMPT_LIMIT)

    async def record_failure(self, attempt: SignInAttempt) -> None:
        """A wrong one-time code after `check_lockout` (passwords are counted before they are
        compared: `count_password`)."""
        if self._policy.lockout:
            await self._counters.add(attempt.key, self._clock.now(), IDLE_RESET)

    async def record_success(self, attempt: SignInAttempt) -> None:
        """The password or code was right: the count starts again (a write only when there is
        one: after `count_password`, always)."""
        if attempt.counted:
            await self._counters.clear(attempt.key)

    async def aclose(self) -> None:
        await self._counters.aclose()
