"""Groups and group membership in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from mamori.adapters.store.sql.base import SqlBase, decode_token, encode_token, must_aware, page_of
from mamori.adapters.store.sql.tables import groups, memberships, users
from mamori.adapters.store.sql.users import user_from_row
from mamori.domain.errors import GroupExistsException
from mamori.domain.ids import PoolId, UserSub
from mamori.domain.users.group import Group
from mamori.domain.users.user import User
from mamori.services.ports import Page

_GROUPS_OF = (
    select(groups)
    .join(
        memberships,
        and_(
            memberships.c.pool_id == groups.c.pool_id,
            memberships.c.group_name == groups.c.name,
        ),
    )
    .where(memberships.c.pool_id == bindparam("pool_id"), memberships.c.sub == bindparam("sub"))
)
_GROUPS_OF_FIRST_PAGE = _GROUPS_OF.order_by(groups.c.name).limit(bindparam("limit"))


def _group(row: Any) -> Group:
    return Group(
        pool_id=PoolId(row.pool_id),
        name=row.name,
        created=must_aware(row.created),
        modified=must_aware(row.modified),
        description=row.description,
        role_arn=row.role_arn,
        precedence=row.precedence,
    )


def _values(group: Group) -> dict[str, Any]:
    return {
        "description": group.description,
        "role_arn": group.role_arn,
        "precedence": group.precedence,
        "modified": group.modified,
    }


class SqlGroupStore(SqlBase):
    async def add_group(self, group: Group) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(groups).values(
                        pool_id=group.pool_id,
                        name=group.name,
                        created=group.created,
                        **_values(group),
                    )
                )
        except IntegrityError as exc:
            raise GroupExistsException("A group with the name already exists.") from exc

    async def get_group(self, pool_id: PoolId, name: str) -> Group | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(groups).where(groups.c.pool_id == pool_id, groups.c.name == name)
                )
            ).first()
        return _group(row) if row else None

    async def save_group(self, group: Group) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(groups)
                .where(groups.c.pool_id == group.pool_id, groups.c.name == group.name)
                .values(**_values(group))
            )

    async def delete_group(self, pool_id: PoolId, name: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(memberships).where(
                    memberships.c.pool_id == pool_id, memberships.c.group_name == name
                )
            )
            await conn.execute(
                delete(groups).where(groups.c.pool_id == pool_id, groups.c.name == name)
            )

    async def list_groups(self, pool_id: PoolId, limit: int, after: str | None) -> Page[Group]:
        start = decode_token(after)
        stmt = select(groups).where(groups.c.pool_id == pool_id)
        if start is not None:
            stmt = stmt.where(groups.c.name > start)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt.order_by(groups.c.name).limit(limit + 1))).all()
        return page_of(rows, limit, _group, lambda g: g.name)

    async def add_member(self, pool_id: PoolId, name: str, sub: UserSub) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(memberships).values(pool_id=pool_id, group_name=name, sub=sub)
                )
        except IntegrityError:
            pass  # Cognito: adding a member twice succeeds

    async def remove_member(self, pool_id: PoolId, name: str, sub: UserSub) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(memberships).where(
                    memberships.c.pool_id == pool_id,
                    memberships.c.group_name == name,
                    memberships.c.sub == sub,
                )
            )

    async def groups_of(
        self, pool_id: PoolId, sub: UserSub, limit: int = 10000, after: str | None = None
    ) -> Page[Group]:
        start = decode_token(after)
        params = {"pool_id": pool_id, "sub": sub, "limit": limit + 1}
        if start is None:  # every token issue reads the user's groups: prebuilt, direct
            rows: Sequence[Any] = await self._direct.all(_GROUPS_OF_FIRST_PAGE, params)
        else:
            stmt = _GROUPS_OF.where(groups.c.name > start).order_by(groups.c.name)
            async with self._engine.connect() as conn:
                rows = (await conn.execute(stmt.limit(bindparam("limit")), params)).all()
        return page_of(rows, limit, _group, lambda g: g.name)

    async def members_of(
        self, pool_id: PoolId, name: str, limit: int, after: str | None
    ) -> Page[User]:
        start = decode_token(after)
        stmt = (
            select(users)
            .join(
                memberships,
                and_(memberships.c.pool_id == users.c.pool_id, memberships.c.sub == users.c.sub),
            )
            .where(memberships.c.pool_id == pool_id, memberships.c.group_name == name)
        )
        if start is not None:
            stmt = stmt.where(users.c.username_key > start)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt.order_by(users.c.username_key).limit(limit + 1))).all()
        items = [user_from_row(r) for r in rows[:limit]]
        token = encode_token(rows[limit - 1].username_key) if len(rows) > limit else None
        return Page(items, token)
