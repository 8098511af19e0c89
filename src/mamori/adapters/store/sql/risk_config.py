"""Risk configurations in SQL: each of the three configurations as JSON, read for a pool and a
client in one query."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from mamori.adapters.store.sql.base import SqlBase, must_aware
from mamori.adapters.store.sql.tables import risk_configurations as risk
from mamori.domain.ids import ClientId, PoolId
from mamori.domain.security.risk_config import (
    AccountTakeover,
    CompromisedAction,
    CompromisedCredentials,
    NotifyConfiguration,
    NotifyEmail,
    RiskConfiguration,
    RiskEvent,
    RiskExceptions,
    StoredRiskConfiguration,
    TakeoverAction,
    TakeoverEventAction,
)

_POOL_ROW = ""  # the pool's own configuration (see tables/risk.py)

# Every sign-in in a pool with threat protection on reads its configuration: a hot-path
# statement (connection/direct.py). With client_id "" it finds the pool's row alone.
_OF_POOL_AND_CLIENT = select(risk).where(
    risk.c.pool_id == bindparam("pool_id"),
    or_(risk.c.client_id == _POOL_ROW, risk.c.client_id == bindparam("client_id")),
)


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _email_out(email: NotifyEmail | None) -> dict[str, Any] | None:
    if email is None:
        return None
    return {"subject": email.subject, "html": email.html_body, "text": email.text_body}


def _email_in(data: dict[str, Any] | None) -> NotifyEmail | None:
    if data is None:
        return None
    return NotifyEmail(data["subject"], data.get("html"), data.get("text"))


def _action_out(action: TakeoverAction | None) -> dict[str, Any] | None:
    return None if action is None else {"notify": action.notify, "action": action.action.value}


def _action_in(data: dict[str, Any] | None) -> TakeoverAction | None:
    if data is None:
        return None
    return TakeoverAction(bool(data["notify"]), TakeoverEventAction(data["action"]))


def _compromised_json(c: CompromisedCredentials | None) -> str | None:
    if c is None:
        return None
    return _dump({"events": sorted(e.value for e in c.events), "action": c.action.value})


def _compromised(text: str | None) -> CompromisedCredentials | None:
    if text is None:
        return None
    data = json.loads(text)
    return CompromisedCredentials(
        frozenset(RiskEvent(e) for e in data["events"]), CompromisedAction(data["action"])
    )


def _takeover_json(t: AccountTakeover | None) -> str | None:
    if t is None:
        return None
    notify = None
    if t.notify is not None:
        n = t.notify
        notify = {
            "source_arn": n.source_arn,
            "from": n.from_address,
            "reply_to": n.reply_to,
            "block": _email_out(n.block_email),
            "no_action": _email_out(n.no_action_email),
            "mfa": _email_out(n.mfa_email),
        }
    return _dump(
        {
            "notify": notify,
            "low": _action_out(t.low),
            "medium": _action_out(t.medium),
            "high": _action_out(t.high),
        }
    )


def _takeover(text: str | None) -> AccountTakeover | None:
    if text is None:
        return None
    data = json.loads(text)
    n = data["notify"]
    notify = None
    if n is not None:
        notify = NotifyConfiguration(
            source_arn=n["source_arn"],
            from_address=n.get("from"),
            reply_to=n.get("reply_to"),
            block_email=_email_in(n.get("block")),
            no_action_email=_email_in(n.get("no_action")),
            mfa_email=_email_in(n.get("mfa")),
        )
    return AccountTakeover(
        notify, _action_in(data["low"]), _action_in(data["medium"]), _action_in(data["high"])
    )


def _exceptions_json(e: RiskExceptions | None) -> str | None:
    if e is None:
        return None
    return _dump({"blocked": list(e.blocked), "skipped": list(e.skipped)})


def _exceptions(text: str | None) -> RiskExceptions | None:
    if text is None:
        return None
    data = json.loads(text)
    return RiskExceptions(tuple(data["blocked"]), tuple(data["skipped"]))


def _stored(row: Any) -> StoredRiskConfiguration:
    return StoredRiskConfiguration(
        pool_id=PoolId(row.pool_id),
        client_id=ClientId(row.client_id) if row.client_id != _POOL_ROW else None,
        configuration=RiskConfiguration(
            _compromised(row.compromised), _takeover(row.takeover), _exceptions(row.exceptions)
        ),
        last_modified=must_aware(row.modified),
    )


class SqlRiskConfigStore(SqlBase):
    async def put_risk_configuration(self, stored: StoredRiskConfiguration) -> None:
        c = stored.configuration
        values = {
            "compromised": _compromised_json(c.compromised),
            "takeover": _takeover_json(c.takeover),
            "exceptions": _exceptions_json(c.exceptions),
            "modified": stored.last_modified,
        }
        client = stored.client_id or _POOL_ROW
        key = (risk.c.pool_id == stored.pool_id) & (risk.c.client_id == client)
        async with self._engine.begin() as conn:
            if (await conn.execute(update(risk).where(key).values(**values))).rowcount:
                return
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(risk).values(pool_id=stored.pool_id, client_id=client, **values)
                )
        except IntegrityError:  # another request inserted it meanwhile: the last write wins
            async with self._engine.begin() as conn:
                await conn.execute(update(risk).where(key).values(**values))

    async def delete_risk_configuration(self, pool_id: PoolId, client_id: ClientId | None) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(risk).where(
                    risk.c.pool_id == pool_id, risk.c.client_id == (client_id or _POOL_ROW)
                )
            )

    async def risk_configurations(
        self, pool_id: PoolId, client_id: ClientId | None
    ) -> tuple[StoredRiskConfiguration | None, StoredRiskConfiguration | None]:
        rows = await self._direct.all(
            _OF_POOL_AND_CLIENT, {"pool_id": pool_id, "client_id": client_id or _POOL_ROW}
        )
        found = [_stored(row) for row in rows]
        pool = next((s for s in found if s.client_id is None), None)
        client = next((s for s in found if s.client_id is not None), None)
        return pool, client
