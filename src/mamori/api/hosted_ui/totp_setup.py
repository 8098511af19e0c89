"""The authenticator app's set-up on the MFA_SETUP page: the otpauth:// URI (Google
Authenticator's Key Uri Format) and its QR code as a data: URL, so the page loads nothing
else (the CSP allows img-src data:)."""

from __future__ import annotations

import base64
import urllib.parse

import qrcode  # type: ignore[import-untyped]
import qrcode.image.svg  # type: ignore[import-untyped]


def otpauth_uri(secret: str, account: str, issuer: str) -> str:
    """otpauth://totp/<issuer>:<account>?secret=&issuer=: the issuer both in the label and as
    a parameter, as the format recommends (apps read either)."""
    label = urllib.parse.quote(f"{issuer}:{account}" if issuer else account, safe="")
    query = {"secret": secret}
    if issuer:
        query["issuer"] = issuer
    return f"otpauth://totp/{label}?{urllib.parse.urlencode(query, quote_via=urllib.parse.quote)}"


def qr_data_url(text: str) -> str:
    """The QR code of `text` as an SVG data: URL (a white background and a quiet zone, so it
    scans on any page colour)."""
    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgFillImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=4,
    )
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
