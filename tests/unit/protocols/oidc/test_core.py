"""OpenID Connect Core's at_hash."""

from __future__ import annotations

import base64
import hashlib

from hypothesis import given
from hypothesis import strategies as st

from mamori.protocols.oidc.core import at_hash


def test_the_specs_example() -> None:
    # OpenID Connect Core 1.0 appendix A.3 (response_type=id_token token).
    assert at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y") == "77QmUPtjPfzWtF2AnpK9RQ"


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1))
def test_left_half_of_sha256_base64url(token: str) -> None:
    value = at_hash(token)
    padded = value + "=" * (-len(value) % 4)
    assert base64.urlsafe_b64decode(padded) == hashlib.sha256(token.encode()).digest()[:16]
    assert "=" not in value and len(value) == 22
