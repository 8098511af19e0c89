"""`mamori purge`: delete expired refresh sessions, codes, authorization codes, hosted-login
sessions and SAML requests and assertions, and old outbox messages, once."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from mamori.cli.migrate import database_error
from mamori.config import Settings

if TYPE_CHECKING:
    from mamori.services.purge import Purged


def purge(settings: Settings, dry_run: bool) -> int:
    from mamori.wiring import purger_for

    async def run() -> Purged:
        async with purger_for(settings) as purger:
            return await purger.purge(dry_run=dry_run)

    from sqlalchemy.exc import SQLAlchemyError

    try:
        purged = asyncio.run(run())
    except SQLAlchemyError as exc:  # the database went away after the migration, say
        raise database_error(settings, exc) from exc
    verb = "would be deleted" if dry_run else "deleted"
    print(
        f"refresh sessions: {purged.sessions} {verb} "
        f"(expired before {purged.sessions_before.isoformat(timespec='seconds')})"
    )
    print(
        f"codes: {purged.codes} {verb} "
        f"(expired before {purged.codes_before.isoformat(timespec='seconds')})"
    )
    print(_purged_messages(purged, verb))
    print(
        f"authorization codes: {purged.authorization_codes} {verb} "
        f"(expired before {purged.codes_before.isoformat(timespec='seconds')})"
    )
    print(
        f"login sessions: {purged.login_sessions} {verb} "
        f"(expired before {purged.codes_before.isoformat(timespec='seconds')})"
    )
    print(
        f"SAML requests and assertions: {purged.saml} {verb} "
        f"(expired before {purged.codes_before.isoformat(timespec='seconds')})"
    )
    if purged.auth_events_before is not None:
        print(
            f"auth events: {purged.auth_events} {verb} "
            f"(created before {purged.auth_events_before.isoformat(timespec='seconds')})"
        )
    return 0


def _purged_messages(purged: Purged, verb: str) -> str:
    if purged.messages_before is None:
        return "outbox messages: kept (outbox_retention_hours = 0)"
    return (
        f"outbox messages: {purged.messages} {verb} "
        f"(created before {purged.messages_before.isoformat(timespec='seconds')})"
    )
