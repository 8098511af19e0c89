"""A hosted-login session's SAML sign-in: which provider signed the user in, with the NameID
and SessionIndex its single logout names (kept with the session, read at /logout)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SamlLogin:
    """A sign-in through a SAML provider, as single logout names it to the IdP."""

    provider_name: str
    name_id: str
    name_id_format: str | None = None
    session_index: str | None = None
