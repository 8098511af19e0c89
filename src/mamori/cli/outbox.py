"""`mamori outbox`: print the messages kept in the outbox (all, the newest, or its code)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from mamori.config import Settings


def outbox(settings: Settings, args: argparse.Namespace) -> int:
    from mamori.adapters.store.sql.connection.direct import dispose
    from mamori.adapters.store.sql.connection.engine import make_async_engine
    from mamori.adapters.store.sql.outbox import SqlOutbox

    async def read() -> list[Any]:
        engine = make_async_engine(settings.effective_database_url)
        try:
            return list(await SqlOutbox(engine).list_messages(args.pool, args.to, 1000))
        finally:
            await dispose(engine)

    messages = asyncio.run(read())
    if args.latest or args.code_only:
        messages = messages[-1:]
    if args.code_only:
        codes = [m.code for m in messages if m.code]
        if not codes:
            print("no message with a code", file=sys.stderr)
            return 1
        print(codes[-1])
        return 0
    for m in messages:
        record = {
            "id": m.id,
            "pool_id": m.pool_id,
            "channel": m.channel,
            "to": m.destination,
            "subject": m.subject,
            "body": m.body,
            "code": m.code,
            "created": m.created.isoformat(),
        }
        print(
            json.dumps(record)
            if args.json
            else f"[{m.created:%Y-%m-%d %H:%M:%S}] {m.channel} to {m.destination} ({m.pool_id}): "
            f"{m.body}"
        )
    return 0
