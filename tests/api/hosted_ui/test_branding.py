"""Branding on the hosted pages over HTTP: SetUICustomization's CSS served from the domain as
/static/custom.css (text/css, no inline style in the page), its logo as a data: URL with the
client's name as alt text, and managed login's colours as the stylesheet's custom properties."""

from __future__ import annotations

import base64
import re
import struct
import zlib

import httpx
import pytest
from tests.support.hosted_pages import Hosted, hosted_client, page_url
from tests.support.live import Server

CSS = ".submitButton-customizable { background-color: #123456; }"


def png() -> bytes:
    """A 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def hosted(sqlite_server: Server) -> Hosted:
    return hosted_client(sqlite_server, ClientName="Acme Shop")


def stylesheet_url(page: httpx.Response) -> str | None:
    found = re.search(r'<link rel="stylesheet" href="([^"]*custom\.css[^"]*)"', page.text)
    return found.group(1).replace("&amp;", "&") if found else None


def test_no_branding_no_custom_stylesheet(hosted: Hosted) -> None:
    with hosted.http() as http:
        page = http.get(page_url(hosted, "/signup"))
    assert page.status_code == 200
    assert stylesheet_url(page) is None and 'id="logo"' not in page.text


def test_ui_customization_css_and_logo(hosted: Hosted) -> None:
    image = png()
    hosted.server.admin().set_ui_customization(
        UserPoolId=hosted.pool_id, ClientId=hosted.client_id, CSS=CSS, ImageFile=image
    )
    with hosted.http() as http:
        page = http.get(page_url(hosted, "/forgotPassword"))
        assert page.status_code == 200
        logo = f'src="data:image/png;base64,{base64.b64encode(image).decode()}" alt="Acme Shop"'
        assert 'id="logo"' in page.text and logo in page.text
        assert "style=" not in page.text and "<style" not in page.text
        assert "'unsafe-inline'" not in page.headers["content-security-policy"]
        url = stylesheet_url(page)
        assert url is not None and f"client_id={hosted.client_id}" in url
        css = http.get(url)
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert css.headers["x-content-type-options"] == "nosniff"
    assert "#123456" in css.text and ".submitButton-customizable" in css.text


def test_managed_login_colours_as_custom_properties(sqlite_server: Server) -> None:
    hosted = hosted_client(sqlite_server)
    settings = {
        "components": {
            "primaryButton": {"lightMode": {"defaults": {"backgroundColor": "0972d3ff"}}},
            "pageBackground": {"lightMode": {"color": "f2f8fd"}},
            "pageText": {"lightMode": {"bodyColor": "414d5c"}},
        }
    }
    hosted.server.admin().create_managed_login_branding(
        UserPoolId=hosted.pool_id, ClientId=hosted.client_id, Settings=settings
    )
    with hosted.http() as http:
        page = http.get(page_url(hosted, "/signup", lang="ja"))
        url = stylesheet_url(page)
        assert url is not None
        css = http.get(url).text
    assert "--primary: #0972d3ff;" in css
    assert "--background: #f2f8fd;" in css
    assert "--text: #414d5c;" in css


def test_a_client_of_another_pool_gets_an_empty_stylesheet(
    hosted: Hosted, sqlite_server: Server
) -> None:
    other = hosted_client(sqlite_server)
    other.server.admin().set_ui_customization(
        UserPoolId=other.pool_id, ClientId=other.client_id, CSS=CSS
    )
    with hosted.http() as http:
        answer = http.get(f"{hosted.by_path}/static/custom.css?client_id={other.client_id}")
    assert answer.status_code == 200 and answer.text == ""
    assert answer.headers["content-type"] == "text/css; charset=utf-8"
