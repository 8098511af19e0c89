"""The branding stylesheet and logo (api/hosted_ui/branding.py): only hex colours reach the CSS,
only images become data: URLs, and the stored CSS follows the custom properties."""

from __future__ import annotations

import base64
from types import MappingProxyType

from hypothesis import given
from hypothesis import strategies as st

from mamori.api.hosted_ui.branding import css_color, image_url, stylesheet
from mamori.domain.userpools.branding import PageBranding

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def test_hex_colours_only() -> None:
    assert css_color("0972D3ff") == "#0972d3ff"
    assert css_color("#abcdef") == "#abcdef"
    for bad in ("red", "#abc", "abcdef;}body{", "url(x)", "", "0972d3f"):
        assert css_color(bad) is None


@given(st.text())
def test_a_colour_never_carries_css_syntax(value: str) -> None:
    found = css_color(value)
    assert found is None or set(found) <= set("#0123456789abcdef")


def test_images_by_type_or_signature() -> None:
    assert image_url(PNG, None) == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert str(image_url(b"<svg/>", "image/svg+xml")).startswith("data:image/svg+xml;base64,")
    assert image_url(b"<html>", "text/html") is None
    assert image_url(b"", "image/png") is None and image_url(None, None) is None


def test_stylesheet_properties_then_css() -> None:
    branding = PageBranding(
        css=".label-customizable { font-weight: 400; }",
        colors=MappingProxyType({"primary": "#0972d3", "text": "bad;", "other": "#ffffff"}),
        background_image=PNG,
        background_type="image/png",
    )
    out = stylesheet(branding)
    assert out.startswith(":root {\n  --primary: #0972d3;\n}\n")
    assert "--text" not in out and "#ffffff" not in out
    assert 'body { background-image: url("data:image/png;base64,' in out
    assert out.endswith(".label-customizable { font-weight: 400; }\n")


def test_no_branding_no_stylesheet() -> None:
    assert stylesheet(PageBranding()) == ""
