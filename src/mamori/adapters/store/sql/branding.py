"""UI customizations and managed-login brandings in SQL; images and assets as base64 text."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from mamori.adapters.store.sql.base import SqlBase, must_aware
from mamori.adapters.store.sql.tables import managed_login_brandings as managed
from mamori.adapters.store.sql.tables import ui_customizations as customizations
from mamori.domain.ids import ClientId, PoolId
from mamori.domain.userpools.branding import BrandingAsset, ManagedLoginBranding, UICustomization


def _b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode() if data is not None else None


def _bytes(text: str | None) -> bytes | None:
    return base64.b64decode(text) if text is not None else None


def _ui(row: Any) -> UICustomization:
    return UICustomization(
        pool_id=PoolId(row.pool_id),
        client_id=row.client_id,
        created=must_aware(row.created),
        modified=must_aware(row.modified),
        css=row.css,
        image=_bytes(row.image),
    )


def _assets_json(assets: tuple[BrandingAsset, ...]) -> str:
    return json.dumps(
        [
            {
                "category": a.category,
                "color_mode": a.color_mode,
                "extension": a.extension,
                "data": _b64(a.data),
                "resource_id": a.resource_id,
            }
            for a in assets
        ],
        separators=(",", ":"),
    )


def _assets(text: str) -> tuple[BrandingAsset, ...]:
    return tuple(
        BrandingAsset(
            category=a["category"],
            color_mode=a["color_mode"],
            extension=a["extension"],
            data=_bytes(a["data"]),
            resource_id=a["resource_id"],
        )
        for a in json.loads(text)
    )


def _managed(row: Any) -> ManagedLoginBranding:
    return ManagedLoginBranding(
        id=row.id,
        pool_id=PoolId(row.pool_id),
        client_id=ClientId(row.client_id),
        created=must_aware(row.created),
        modified=must_aware(row.modified),
        use_cognito_provided_values=row.use_cognito_provided_values,
        settings=row.settings,
        assets=_assets(row.assets),
    )


def _managed_values(branding: ManagedLoginBranding) -> dict[str, Any]:
    return {
        "use_cognito_provided_values": branding.use_cognito_provided_values,
        "settings": branding.settings,
        "assets": _assets_json(branding.assets),
        "modified": branding.modified,
    }


class SqlBrandingStore(SqlBase):
    async def put_ui_customization(self, ui: UICustomization) -> None:
        key = and_(
            customizations.c.pool_id == ui.pool_id, customizations.c.client_id == ui.client_id
        )
        values = {"css": ui.css, "image": _b64(ui.image), "modified": ui.modified}
        async with self._engine.begin() as conn:
            changed = await conn.execute(update(customizations).where(key).values(**values))
            if changed.rowcount:
                return
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(customizations).values(
                        pool_id=ui.pool_id, client_id=ui.client_id, created=ui.created, **values
                    )
                )
        except IntegrityError:  # another request inserted it meanwhile: the last write wins
            async with self._engine.begin() as conn:
                await conn.execute(update(customizations).where(key).values(**values))

    async def get_ui_customization(self, pool_id: PoolId, client_id: str) -> UICustomization | None:
        query = select(customizations).where(
            customizations.c.pool_id == pool_id, customizations.c.client_id == client_id
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _ui(row) if row else None

    async def add_managed(self, branding: ManagedLoginBranding) -> bool:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(managed).values(
                        id=branding.id,
                        pool_id=branding.pool_id,
                        client_id=branding.client_id,
                        created=branding.created,
                        **_managed_values(branding),
                    )
                )
        except IntegrityError:
            return False
        return True

    async def _one(self, *where: Any) -> ManagedLoginBranding | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(managed).where(*where))).first()
        return _managed(row) if row else None

    async def get_managed(self, pool_id: PoolId, branding_id: str) -> ManagedLoginBranding | None:
        return await self._one(managed.c.pool_id == pool_id, managed.c.id == branding_id)

    async def managed_of_client(
        self, pool_id: PoolId, client_id: str
    ) -> ManagedLoginBranding | None:
        return await self._one(managed.c.pool_id == pool_id, managed.c.client_id == client_id)

    async def save_managed(self, branding: ManagedLoginBranding) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(managed)
                .where(managed.c.pool_id == branding.pool_id, managed.c.id == branding.id)
                .values(**_managed_values(branding))
            )

    async def delete_managed(self, pool_id: PoolId, branding_id: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(managed).where(managed.c.pool_id == pool_id, managed.c.id == branding_id)
            )
        return bool(result.rowcount)
