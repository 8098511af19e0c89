"""adapters/federation/saml.py: an IdP's metadata read from MetadataFile or fetched from its
MetadataURL (once an hour, kept through an outage, a failing URL not asked again for a
minute), refused when it is not one IdP's SAML metadata; the issuer a message names."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

import anyio
import httpx
import pytest
from tests.support.saml_idp import SamlIdp, saml_idp

from mamori.adapters.federation.saml import Pysaml2ServiceProvider, message_issuer
from mamori.adapters.federation.saml_logout import signed_fields
from mamori.domain.ids import PoolId
from mamori.domain.userpools.identity_providers import IdentityProvider, ProviderType
from mamori.services.federation.ports import SamlError

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 5, 17, tzinfo=UTC)


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    with saml_idp(tmp_path_factory.mktemp("idp")) as served:
        yield served


def provider(**details: str) -> IdentityProvider:
    return IdentityProvider(
        PoolId("us-east-1_a"), "Corp", ProviderType.SAML, details, {}, (), NOW, NOW
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Metadata:
    """An HTTP peer serving a metadata document, counting the fetches; `down` fails them."""

    def __init__(self, xml: str) -> None:
        self.xml = xml
        self.fetches = 0
        self.down = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        if self.down:
            return httpx.Response(503)
        return httpx.Response(200, text=self.xml)


def adapter(peer: Metadata | None, clock: Clock) -> Pysaml2ServiceProvider:
    transport = httpx.MockTransport(peer.handler if peer else lambda r: httpx.Response(404))
    return Pysaml2ServiceProvider(
        httpx.AsyncClient(transport=transport), 5.0, anyio.CapacityLimiter(2), clock
    )


async def test_metadata_from_the_file(idp: SamlIdp) -> None:
    read = await adapter(None, Clock()).idp_metadata(provider(MetadataFile=idp.metadata_xml))
    assert read.entity_id == idp.entity_id
    assert read.sso_redirect_url == idp.sso_url and read.slo_redirect_url == idp.slo_url


async def test_metadata_from_the_url_is_cached_and_kept_through_an_outage(idp: SamlIdp) -> None:
    peer, clock = Metadata(idp.metadata_xml), Clock()
    sp = adapter(peer, clock)
    corp = provider(MetadataURL="https://idp.test/metadata")
    assert (await sp.idp_metadata(corp)).entity_id == idp.entity_id
    clock.now += 3000
    await sp.idp_metadata(corp)
    assert peer.fetches == 1  # within the hour: the copy
    clock.now += 1000
    peer.down = True
    assert (await sp.idp_metadata(corp)).entity_id == idp.entity_id  # the IdP's outage
    assert peer.fetches == 2
    await sp.idp_metadata(corp)
    assert peer.fetches == 2  # not asked again within a minute
    clock.now += 61
    peer.down = False
    await sp.idp_metadata(corp)
    assert peer.fetches == 3


async def test_a_url_that_never_answered_is_an_error_not_asked_again_at_once() -> None:
    peer, clock = Metadata(""), Clock()
    peer.down = True
    sp = adapter(peer, clock)
    corp = provider(MetadataURL="https://idp.test/metadata")
    for _ in range(2):
        with pytest.raises(SamlError):
            await sp.idp_metadata(corp)
    assert peer.fetches == 1


async def test_metadata_past_its_bound_is_refused_as_it_streams() -> None:
    peer, clock = Metadata("<x>" + " " * (2 * 1024 * 1024) + "</x>"), Clock()
    with pytest.raises(SamlError, match="too large"):
        await adapter(peer, clock).idp_metadata(provider(MetadataURL="https://idp.test/big"))


@pytest.mark.parametrize(
    "xml",
    [
        "<html>not metadata</html>",
        "not even XML",
        '<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>',
    ],
)
async def test_what_is_not_one_idps_metadata_is_refused(xml: str) -> None:
    with pytest.raises(SamlError):
        await adapter(None, Clock()).idp_metadata(provider(MetadataFile=xml))


def _deflated(xml: str) -> str:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(packer.compress(xml.encode()) + packer.flush()).decode()


async def test_the_issuer_a_message_names() -> None:
    request = (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="id-1" Version="2.0" '
        'IssueInstant="2026-05-17T00:00:00Z"><saml:Issuer> https://idp.test/ </saml:Issuer>'
        "<saml:NameID>alice</saml:NameID></samlp:LogoutRequest>"
    )
    assert message_issuer(_deflated(request), redirect=True) == "https://idp.test/"
    assert message_issuer(base64.b64encode(b"<x/>").decode(), redirect=False) is None
    assert message_issuer("%%%", redirect=True) is None


def test_the_redirect_signature_covers_the_fields_as_received() -> None:
    raw = "Signature=c2ln&SigAlg=rsa%2Dsha256&RelayState=a%20b&SAMLRequest=ab%2Bc&extra=1"
    assert (
        signed_fields(raw, "SAMLRequest")
        == b"SAMLRequest=ab%2Bc&RelayState=a%20b&SigAlg=rsa%2Dsha256"
    )
    assert signed_fields("SAMLResponse=x&SigAlg=y", "SAMLResponse") == b"SAMLResponse=x&SigAlg=y"
    for bad in ("SAMLRequest=x", "SigAlg=y", "SAMLRequest=x&SAMLRequest=z&SigAlg=y"):
        with pytest.raises(SamlError):
            signed_fields(bad, "SAMLRequest")
