"""Branding of the hosted pages: SetUICustomization / GetUICustomization (classic CSS and
logo), the managed-login branding operations, and what a page renders (`branding_for`)."""

from __future__ import annotations

import dataclasses
import uuid

from mamori.domain.errors import (
    InvalidParameterException,
    ManagedLoginBrandingExistsException,
    ResourceNotFoundException,
)
from mamori.domain.ids import ClientId, PoolId
from mamori.domain.userpools.branding import (
    ALL_CLIENTS,
    BrandingAsset,
    ManagedLoginBranding,
    PageBranding,
    UICustomization,
    image_type,
    page_branding,
)
from mamori.protocols.css import CssError, sanitise
from mamori.services.ports import Clock
from mamori.services.userpools.clients import ClientService
from mamori.services.userpools.pools import PoolService
from mamori.services.userpools.ports import BrandingStore, DomainStore


@dataclasses.dataclass(frozen=True)
class BrandingDraft:
    """What CreateManagedLoginBranding / UpdateManagedLoginBranding give (None: left out)."""

    use_cognito_provided_values: bool | None = None
    settings: str | None = None  # the Settings document as JSON text
    assets: tuple[BrandingAsset, ...] | None = None


def _sanitised(css: str | None) -> str | None:
    if not css:
        return None
    try:
        return sanitise(css)
    except CssError as exc:
        raise InvalidParameterException(str(exc)) from None


class BrandingService:
    def __init__(
        self,
        store: BrandingStore,
        domains: DomainStore,
        pools: PoolService,
        clients: ClientService,
        clock: Clock,
    ) -> None:
        self._store = store
        self._domains = domains
        self._pools = pools
        self._clients = clients
        self._clock = clock

    async def _client_key(self, pool_id: PoolId, client_id: str | None) -> str:
        if client_id is None or client_id == ALL_CLIENTS:
            return ALL_CLIENTS
        await self._clients.describe_user_pool_client(pool_id, client_id)
        return client_id

    async def set_ui_customization(
        self, pool_id: str, client_id: str | None, css: str | None, image: bytes | None
    ) -> UICustomization:
        """Replace the CSS and logo of one client, or of ALL (the pool's default)."""
        pool = await self._pools.require(pool_id)
        key = await self._client_key(pool.id, client_id)
        if not await self._domains.domains_of(pool.id):
            # Cognito: the hosted UI exists only on a domain.
            raise InvalidParameterException(
                "There has to be an existing domain associated with this user pool"
            )
        _sanitised(css)
        if image and image_type(image) is None:
            raise InvalidParameterException("The logo must be a PNG or JPEG image.")
        now = self._clock.now()
        current = await self._store.get_ui_customization(pool.id, key)
        ui = UICustomization(
            pool_id=pool.id,
            client_id=key,
            created=current.created if current else now,
            modified=now,
            css=css or None,
            image=image or None,
        )
        await self._store.put_ui_customization(ui)
        return ui

    async def get_ui_customization(
        self, pool_id: str, client_id: str | None
    ) -> UICustomization | None:
        """The client's own customization, else the pool default's; None when neither."""
        pool = await self._pools.require(pool_id)
        key = await self._client_key(pool.id, client_id)
        found = await self._store.get_ui_customization(pool.id, key)
        if found is None and key != ALL_CLIENTS:
            found = await self._store.get_ui_customization(pool.id, ALL_CLIENTS)
        return found

    async def create_managed_login_branding(
        self, pool_id: str, client_id: str, draft: BrandingDraft
    ) -> ManagedLoginBranding:
        pool = await self._pools.require(pool_id)
        client = await self._clients.describe_user_pool_client(pool.id, client_id)
        _check_draft(draft)
        now = self._clock.now()
        branding = ManagedLoginBranding(
            id=str(uuid.uuid4()),
            pool_id=pool.id,
            client_id=client.id,
            created=now,
            modified=now,
            use_cognito_provided_values=bool(draft.use_cognito_provided_values),
            settings=draft.settings,
            assets=draft.assets or (),
        )
        if not await self._store.add_managed(branding):
            raise ManagedLoginBrandingExistsException(
                f"App client {client.id} already has a managed login branding style."
            )
        return branding

    async def describe_managed_login_branding(
        self, pool_id: str, branding_id: str
    ) -> ManagedLoginBranding:
        pool = await self._pools.require(pool_id)
        branding = await self._store.get_managed(pool.id, branding_id.lower())
        if branding is None:
            raise ResourceNotFoundException(
                f"Managed login branding {branding_id} does not exist in {pool.id}."
            )
        return branding

    async def describe_managed_login_branding_by_client(
        self, pool_id: str, client_id: str
    ) -> ManagedLoginBranding:
        pool = await self._pools.require(pool_id)
        client = await self._clients.describe_user_pool_client(pool.id, client_id)
        branding = await self._store.managed_of_client(pool.id, client.id)
        if branding is None:
            raise ResourceNotFoundException(
                f"App client {client.id} has no managed login branding style."
            )
        return branding

    async def update_managed_login_branding(
        self, pool_id: str, branding_id: str, draft: BrandingDraft
    ) -> ManagedLoginBranding:
        """UseCognitoProvidedValues true clears the settings and assets; otherwise what the
        request gives replaces what was stored, and what it leaves out stays."""
        current = await self.describe_managed_login_branding(pool_id, branding_id)
        _check_draft(draft)
        if draft.use_cognito_provided_values:
            branding = dataclasses.replace(
                current,
                use_cognito_provided_values=True,
                settings=None,
                assets=(),
                modified=self._clock.now(),
            )
        else:
            branding = dataclasses.replace(
                current,
                use_cognito_provided_values=False,
                settings=current.settings if draft.settings is None else draft.settings,
                assets=current.assets if draft.assets is None else draft.assets,
                modified=self._clock.now(),
            )
        await self._store.save_managed(branding)
        return branding

    async def delete_managed_login_branding(self, pool_id: str, branding_id: str) -> None:
        branding = await self.describe_managed_login_branding(pool_id, branding_id)
        await self._store.delete_managed(branding.pool_id, branding.id)

    async def branding_for(self, pool_id: str, client_id: str) -> PageBranding:
        """What a hosted page shows for this client: its UI customization else the pool
        default's (CSS sanitised, logo), and its managed-login colours, background and logo."""
        pool = PoolId(pool_id)
        ui = await self._store.get_ui_customization(pool, client_id)
        if ui is None:
            ui = await self._store.get_ui_customization(pool, ALL_CLIENTS)
        managed = await self._store.managed_of_client(pool, ClientId(client_id))
        return page_branding(ui, managed, _page_css(ui.css) if ui else None)


def _page_css(css: str | None) -> str | None:
    # Stored CSS passed these checks when it was set; should they have grown stricter since,
    # the page goes without it rather than failing.
    try:
        return sanitise(css) if css else None
    except CssError:
        return None


def _check_draft(draft: BrandingDraft) -> None:
    if draft.use_cognito_provided_values and (
        draft.settings is not None or draft.assets is not None
    ):
        raise InvalidParameterException(
            "When UseCognitoProvidedValues is true, Settings and Assets must be omitted."
        )
    seen: set[tuple[str, str]] = set()
    for asset in draft.assets or ():
        key = (asset.category, asset.color_mode)
        if key in seen:
            raise InvalidParameterException(
                f"Duplicate asset: {asset.category} in {asset.color_mode} mode."
            )
        seen.add(key)
