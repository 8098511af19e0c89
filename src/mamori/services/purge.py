"""The purge: deletes refresh sessions, one-time codes, authorization codes, hosted-login
sessions and SAML requests and assertions that can never be used again, and outbox messages and
auth events past their retention."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio

from mamori.services.federation.ports import ExpiredSaml
from mamori.services.oauth.ports import ExpiredAuthorizationCodes, ExpiredLoginSessions
from mamori.services.ports import Clock, ExpiredCodes, ExpiredRefreshSessions, OldMessages
from mamori.services.security.auth_events import DEFAULT_RETENTION, OldAuthEvents

log = logging.getLogger("mamori.purge")

# Access tokens (and ID tokens, for identity pools' ServerSideTokenCheck) are checked against
# their refresh session's revoked flag by `origin_jti`, and a token whose session row is gone
# counts as not revoked: deleting a revoked session while its tokens are still valid would
# un-revoke them. Those tokens live at most one day (Cognito's maximum, which clients.py
# enforces) and are issued no later than their session's expiry (a refresh of an expired
# session fails), so every one of them has expired a day after the session did. The margin
# covers clocks that differ between the hosts that issue, check and purge.
TOKEN_LIFETIME_MAX = timedelta(days=1)
CLOCK_MARGIN = timedelta(hours=1)
SESSION_GRACE = TOKEN_LIFETIME_MAX + CLOCK_MARGIN
# Rows per delete statement, each its own transaction (SQLite writers wait for no longer).
BATCH = 1000


@dataclass(frozen=True)
class Purged:
    """What one purge removed (with `dry_run`: what it would have removed)."""

    sessions: int
    codes: int
    messages: int
    sessions_before: datetime  # the cutoffs: rows expired before these
    codes_before: datetime
    messages_before: datetime | None  # created before this; None: the outbox is kept forever
    dry_run: bool = False
    authorization_codes: int = 0  # OAuth codes, expired before codes_before
    login_sessions: int = 0  # hosted-login sessions, expired before codes_before
    saml: int = 0  # SAML requests sent and assertions accepted, expired before codes_before
    auth_events: int = 0  # auth events created before auth_events_before
    auth_events_before: datetime | None = None


class Purger:
    def __init__(
        self,
        sessions: ExpiredRefreshSessions,
        codes: ExpiredCodes,
        messages: OldMessages,
        message_retention: timedelta | None,
        clock: Clock,
        batch: int = BATCH,
        authorization_codes: ExpiredAuthorizationCodes | None = None,
        login_sessions: ExpiredLoginSessions | None = None,
        saml: ExpiredSaml | None = None,
        auth_events: OldAuthEvents | None = None,
        auth_event_retention: timedelta = DEFAULT_RETENTION,
    ) -> None:
        """`message_retention`: how long outbox messages are kept; None keeps them forever.
        `authorization_codes`, `login_sessions`: the OAuth codes' and the hosted-login
        sessions' stores (None: none to purge). `auth_event_retention`: how long auth events
        are kept (Cognito: 90 days)."""
        if message_retention is not None and message_retention <= timedelta(0):
            raise ValueError("message_retention must be positive (None keeps messages forever)")
        self._sessions = sessions
        self._codes = codes
        self._messages = messages
        self._retention = message_retention
        self._clock = clock
        self._batch = batch
        self._authorization_codes = authorization_codes
        self._login_sessions = login_sessions
        self._saml = saml
        self._auth_events = auth_events
        self._auth_event_retention = auth_event_retention

    def cutoffs(self) -> tuple[datetime, datetime, datetime | None]:
        """(sessions, codes, messages): sessions and codes whose expiry is before these go, and
        messages created before the third (None while the outbox is kept forever)."""
        now = self._clock.now()
        messages = now - self._retention if self._retention is not None else None
        # A code past its expiry is refused as expired, and a missing one the same way
        # (codes.py): deleting it changes no answer, phantom codes included.
        return now - SESSION_GRACE, now, messages

    async def purge(self, dry_run: bool = False) -> Purged:
        """Deletes (or, with `dry_run`, counts) expired sessions and codes and old outbox
        messages in every pool.

        Idempotent: several server processes may purge at once; each row goes once.
        """
        sessions_before, codes_before, messages_before = self.cutoffs()
        if dry_run:
            sessions = await self._sessions.count_sessions_expired_before(sessions_before)
            codes = await self._codes.count_codes_expired_before(codes_before)
        else:
            sessions = await self._sessions.delete_sessions_expired_before(
                sessions_before, self._batch
            )
            codes = await self._codes.delete_codes_expired_before(codes_before, self._batch)
        messages = await self._purge_messages(messages_before, dry_run)
        # An expired authorization code is refused like an unknown one (a replay of it then
        # no longer revokes what it issued: its holder got nothing from it).
        oauth_codes = await self._purge_authorization_codes(codes_before, dry_run)
        # An expired login session is ignored like a missing one (LoginSessions.current), and
        # a sign-out only deletes: nothing reads an expired row again.
        logins = await self._purge_login_sessions(codes_before, dry_run)
        # An expired SAML request is refused like an unknown one; an expired assertion is
        # refused by its own NotOnOrAfter before its record would be asked.
        saml = await self._purge_saml(codes_before, dry_run)
        events_before = self._clock.now() - self._auth_event_retention
        events = await self._purge_auth_events(events_before, dry_run)
        return Purged(
            sessions,
            codes,
            messages,
            sessions_before,
            codes_before,
            messages_before,
            dry_run,
            oauth_codes,
            logins,
            saml,
            events,
            events_before if self._auth_events is not None else None,
        )

    async def _purge_authorization_codes(self, before: datetime, dry_run: bool) -> int:
        store = self._authorization_codes
        if store is None:
            return 0
        if dry_run:
            return await store.count_authorization_codes_expired_before(before)
        return await store.delete_authorization_codes_expired_before(before, self._batch)

    async def _purge_login_sessions(self, before: datetime, dry_run: bool) -> int:
        store = self._login_sessions
        if store is None:
            return 0
        if dry_run:
            return await store.count_login_sessions_expired_before(before)
        return await store.delete_login_sessions_expired_before(before, self._batch)

    async def _purge_saml(self, before: datetime, dry_run: bool) -> int:
        store = self._saml
        if store is None:
            return 0
        if dry_run:
            return await store.count_saml_expired_before(before)
        return await store.delete_saml_expired_before(before, self._batch)

    async def _purge_auth_events(self, before: datetime, dry_run: bool) -> int:
        store = self._auth_events
        if store is None:
            return 0
        if dry_run:
            return await store.count_auth_events_before(before)
        return await store.delete_auth_events_before(before, self._batch)

    async def _purge_messages(self, before: datetime | None, dry_run: bool) -> int:
        if before is None:
            return 0
        if dry_run:
            return await self._messages.count_messages_created_before(before)
        return await self._messages.delete_messages_created_before(before, self._batch)

    async def run_periodically(self, interval: float) -> None:
        """Purges now and then every `interval` seconds, until cancelled (the server's
        lifespan does at shutdown), logging one JSON line per run. A failure (the database
        unreachable, say) is logged and the next run tries again: it never stops the server."""
        while True:
            started = anyio.current_time()
            line: dict[str, object] = {"event": "purge"}
            try:
                purged = await self.purge()
            except Exception as exc:  # any store failure: the rows wait for the next run
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                line.update(error=type(exc).__name__, reason=reason, retry_seconds=interval)
                log.error(json.dumps(line))
            else:
                line.update(
                    sessions=purged.sessions,
                    codes=purged.codes,
                    authorization_codes=purged.authorization_codes,
                    login_sessions=purged.login_sessions,
                    saml=purged.saml,
                    auth_events=purged.auth_events,
                    messages=purged.messages,
                    ms=round((anyio.current_time() - started) * 1000, 2),
                )
                log.info(json.dumps(line))
            await anyio.sleep(interval)
