"""Guessing protection: Cognito's lockout after failed sign-ins, and request-rate limits per
client IP and per username, on counters every server process shares."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from mamori.domain.errors import NotAuthorizedException, TooManyRequestsException
from mamori.domain.lockout import IDLE_RESET, Failures, locked_until
from mamori.ports import Clock, Counters

WINDOW = timedelta(minutes=1)
# Cognito: the message of NotAuthorizedException while a user is locked out.
LOCKED = "Password attempts exceeded"
THROTTLED = "Too many requests."


class Limited(StrEnum):
    """Operations counted together: a limit applies to each kind separately."""

    SIGN_IN = "sign-in"  # password sign-in (InitiateAuth, AdminInitiateAuth)
    SIGN_UP = "sign-up"
    CODE = "code"  # operations that send or check a code: confirm, resend, forgot password


@dataclass(frozen=True)
class GuardPolicy:
    lockout: bool = True
    ip_per_minute: int = 600  # 0: no per-IP limit
    user_per_minute: int = 30  # 0: no per-username limit


@dataclass(frozen=True)
class SignInAttempt:
    """What `check_sign_in` found, for `record_failure` / `record_success` to act on."""

    key: str
    had_failures: bool


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


class Guard:
    def __init__(self, counters: Counters, clock: Clock, policy: GuardPolicy) -> None:
        self._counters = counters
        self._clock = clock
        self._policy = policy

    async def check_rate(self, kind: Limited, ip: str | None, user: str | None) -> None:
        """TooManyRequestsException when the client IP or the username (a `username_key`) has
        made more requests of this kind in the current minute than the policy allows. `ip` is
        None for callers that are not the end user (a signed admin call without ContextData)."""
        keys: list[str] = []
        limits: list[int] = []
        if ip and self._policy.ip_per_minute:
            keys.append("r" + _digest(kind.value, "ip", ip_scope(ip)))
            limits.append(self._policy.ip_per_minute)
        if user is not None and self._policy.user_per_minute:
            keys.append("r" + _digest(kind.value, "user", user))
            limits.append(self._policy.user_per_minute)
        if not keys:
            return
        counts = await self._counters.hit(keys, self._clock.now(), WINDOW)
        if any(count > limit for count, limit in zip(counts, limits, strict=True)):
            raise TooManyRequestsException(THROTTLED)

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

    async def check_sign_in(self, pool_id: str, username: str, ip: str | None) -> SignInAttempt:
        """Before a password is verified: rate limits, then the lockout. Raises
        NotAuthorizedException("Password attempts exceeded") while the username is locked
        out, whatever the password; such attempts do not count as failures."""
        await self.check_rate(Limited.SIGN_IN, ip, username_key(pool_id, username))
        return await self.check_lockout(pool_id, username)

    async def check_lockout(self, pool_id: str, username: str) -> SignInAttempt:
        """`check_sign_in` without the rate limits: for the second request of one sign-in (an
        SRP claim, counted as a request when its InitiateAuth was)."""
        key = "f" + _digest(username_key(pool_id, username))
        if not self._policy.lockout:
            return SignInAttempt(key, had_failures=False)
        now = self._clock.now()
        tally = await self._counters.peek(key, now)
        if tally is None:
            return SignInAttempt(key, had_failures=False)
        if locked_until(Failures(tally.count, tally.last), now) is not None:
            raise NotAuthorizedException(LOCKED)
        return SignInAttempt(key, had_failures=True)

    async def record_failure(self, attempt: SignInAttempt) -> None:
        """A wrong password, or a username that does not exist (counted the same)."""
        if self._policy.lockout:
            await self._counters.add(attempt.key, self._clock.now(), IDLE_RESET)

    async def record_success(self, attempt: SignInAttempt) -> None:
        """The password was right: the count starts again (a write only when there was one)."""
        if attempt.had_failures:
            await self._counters.clear(attempt.key)

    async def aclose(self) -> None:
        await self._counters.aclose()
