"""A pool's or client's branding on the hosted pages: the stylesheet served from the domain
(`/static/custom.css?client_id=...`: the sanitised CSS, with the managed-login colours and
background as CSS custom properties) and the logo as a data: URL.

Nothing is inlined in a page (the CSP allows styles only from this domain); the CSS itself was
sanitised when it was stored (services/userpools/branding.py), so it loads nothing from
elsewhere. Colours and image types are checked again here, as they go into CSS text.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mamori.api.oauth2.context import DomainContext, domain_of
from mamori.domain.oauth.authorization import AuthorizationRequest
from mamori.domain.userpools.branding import PageBranding
from mamori.services.container import Services

# Managed login's colours: hex RGB or RGBA, with or without "#" (Cognito stores "0972d3ff").
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"})
# Custom properties the base stylesheet reads (static/mamori.css), by PageBranding colour key.
PROPERTIES = {
    "primary": "--primary",
    "background": "--background",
    "text": "--text",
}
_MAX_CLIENT_ID = 128


async def page_branding(
    services: Services, authorization: AuthorizationRequest
) -> tuple[PageBranding, str]:
    """The client's branding and name, for a page's visit."""
    pool_id, client_id = authorization.pool_id, authorization.client_id
    _pool, client = await services.clients.client_in_pool(pool_id, client_id)
    return await services.branding.branding_for(pool_id, client_id), client.name


def branding_values(visit: BrandedVisit) -> dict[str, Any]:
    """A page's branding values for base.html: `custom_stylesheet` (the URL of the client's
    stylesheet, when it has anything to say), `logo` (a data: URL) and `logo_alt`."""
    branding = visit.branding
    if branding is None:
        return {"custom_stylesheet": None, "logo": None, "logo_alt": ""}
    css = None
    if branding.css or branding.colors or branding.background_image:
        # The version changes with the content, so a browser never keeps stale branding.
        version = hashlib.sha256(stylesheet(branding).encode()).hexdigest()[:16]
        query = {"client_id": visit.authorization.client_id, "v": version}
        css = visit.ctx.url("/static/custom.css", query)
    return {
        "custom_stylesheet": css,
        "logo": image_url(branding.logo, branding.logo_type),
        "logo_alt": visit.client_name,
    }


class BrandedVisit(Protocol):
    """What `branding_values` reads of a page's Visit (api/hosted_ui/pages.py)."""

    @property
    def ctx(self) -> DomainContext: ...
    @property
    def authorization(self) -> AuthorizationRequest: ...
    @property
    def branding(self) -> PageBranding | None: ...
    @property
    def client_name(self) -> str: ...


def css_color(value: str) -> str | None:
    """`value` as a CSS colour (#rrggbb or #rrggbbaa), or None when it is not hex."""
    if not _HEX.fullmatch(value):
        return None
    return "#" + value.removeprefix("#").lower()


def image_url(data: bytes | None, media_type: str | None) -> str | None:
    """A data: URL of an image, or None (nothing, or a type a page would not show as one)."""
    if not data:
        return None
    kind = media_type if media_type in _IMAGE_TYPES else _sniff(data)
    if kind is None:
        return None
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def stylesheet(branding: PageBranding) -> str:
    """The custom stylesheet: the colours and background as custom properties on :root, then
    the stored (sanitised) CSS. Outside any cascade layer, so that it wins over mamori.css's
    (all in the layer `mamori`) whatever the selectors' specificity."""
    lines = []
    for key, prop in PROPERTIES.items():
        color = css_color(branding.colors.get(key, ""))
        if color is not None:
            lines.append(f"  {prop}: {color};")
    background = image_url(branding.background_image, branding.background_type)
    if background is not None:
        # A data: URL in base64 holds no quote or parenthesis, so it cannot end the url().
        body = f'body {{ background-image: url("{background}"); background-size: cover; }}\n'
    out = ""
    if lines:
        out += ":root {\n" + "\n".join(lines) + "\n}\n"
    if background is not None:
        out += body
    if branding.css:
        out += branding.css.rstrip() + "\n"
    return out


def branding_routes(services: Services) -> list[BaseRoute]:
    async def serve(request: Request) -> Response:
        return await custom_css(request, services)

    return [Route("/static/custom.css", serve, methods=["GET"])]


async def custom_css(request: Request, services: Services) -> Response:
    """`GET /static/custom.css?client_id=...`: the client's branding (else the pool's default)
    as text/css; an empty stylesheet for a client the pool does not have, so a page's link
    never fails and nothing tells one client id from another."""
    ctx = domain_of(request)
    client_id = request.query_params.get("client_id", "")
    body = ""
    if client_id and len(client_id) <= _MAX_CLIENT_ID and client_id.isalnum():
        found = await services.clients.client_with_pool(client_id)
        if found is not None and found[1].pool_id == ctx.pool_id:
            body = stylesheet(await services.branding.branding_for(ctx.pool_id, client_id))
    response = Response(body, media_type="text/css; charset=utf-8")
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Changes to the branding show within a minute; the page itself is never cached.
    response.headers["Cache-Control"] = "private, max-age=60"
    return response
