"""GET /saml2/metadata: the pool's SAML service provider metadata (entity id
urn:amazon:cognito:sp:<UserPoolId>, the assertion consumer service and single logout URLs of the
domain as reached, the signing and encryption certificates), for an IdP's set-up."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mamori.api.hosted_ui.errors import error_page
from mamori.api.oauth2.context import domain_of
from mamori.protocols.oauth2.errors import InvalidRequest, ServerError
from mamori.services.container import Services
from mamori.services.federation.ports import SamlError


async def saml_metadata(request: Request, services: Services) -> Response:
    ctx = domain_of(request)
    if services.saml_keys is None:
        return error_page(request, InvalidRequest("No SAML providers are served here."), 404)
    try:
        xml = await services.saml_keys.metadata(ctx.pool_id, ctx.base_url)
    except SamlError:
        error = ServerError("The SAML metadata can't be made now; please try again later.")
        return error_page(request, error, 503)
    return Response(
        xml,
        media_type="application/samlmetadata+xml",
        headers={"Cache-Control": "public, max-age=3600"},
    )
