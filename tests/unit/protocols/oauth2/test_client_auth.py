"""Client credentials from HTTP Basic or the form (RFC 6749 section 2.3.1)."""

from __future__ import annotations

import base64
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mamori.protocols.oauth2.client_auth import client_credentials
from mamori.protocols.oauth2.errors import InvalidClient, InvalidRequest


def basic(client_id: str, secret: str) -> str:
    joined = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
    return "Basic " + base64.b64encode(joined.encode()).decode()


@given(st.text(min_size=1), st.text())
def test_basic_credentials_are_url_decoded(client_id: str, secret: str) -> None:
    got = client_credentials(basic(client_id, secret), {})
    assert (got.client_id, got.secret, got.basic) == (client_id, secret, True)


def test_the_form_and_public_clients() -> None:
    got = client_credentials(None, {"client_id": "abc", "client_secret": "s3"})
    assert (got.client_id, got.secret, got.basic) == ("abc", "s3", False)
    public = client_credentials(None, {"client_id": "abc"})
    assert public.secret is None and not public.basic
    assert "s3" not in repr(got)


def test_refusals() -> None:
    with pytest.raises(InvalidRequest):
        client_credentials(None, {})
    with pytest.raises(InvalidRequest):  # two methods at once
        client_credentials(basic("a", "b"), {"client_secret": "b"})
    with pytest.raises(InvalidRequest):  # the body names another client
        client_credentials(basic("a", "b"), {"client_id": "c"})
    assert client_credentials(basic("a", "b"), {"client_id": "a"}).client_id == "a"
    for bad in ("Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(), "Basic "):
        with pytest.raises(InvalidClient):
            client_credentials(bad, {"client_id": "a"})
