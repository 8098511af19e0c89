"""What a request says about its end user (the auth-event log's context): UserContextData on
the public operations, ContextData on the administrator's."""

from __future__ import annotations

from typing import Any

from mamori.api.aws.operations import Call, Params
from mamori.domain.security.auth_events import RequestContext


def public_context(call: Call, p: Params) -> RequestContext:
    """The caller is the end user's own app: the connection's address (through trusted
    proxies) and User-Agent. UserContextData's EncodedData is kept as given; its IpAddress is
    only claimed: anyone may send one, and Cognito honours it only for clients that propagate
    additional context data (EnablePropagateAdditionalUserContextData, with a secret), which
    the sign-in decides once it knows the client (RequestContext.propagated)."""
    data = p.get("UserContextData") or {}
    return RequestContext(
        ip=call.source_ip or None,
        user_agent=call.user_agent,
        encoded_data=data.get("EncodedData") or None,
        claimed_ip=data.get("IpAddress") or None,
    )


def _header(headers: Any, name: str) -> str | None:
    for header in headers or ():
        if str(header.get("headerName", "")).lower() == name:
            value = header.get("headerValue")
            return str(value) if value else None
    return None


def admin_context(p: Params) -> RequestContext:
    """The caller is the app's backend: the end user is whom ContextData describes (IpAddress,
    the User-Agent among HttpHeaders, EncodedData); without it, nothing is known."""
    data = p.get("ContextData") or {}
    return RequestContext(
        ip=data.get("IpAddress") or None,
        user_agent=_header(data.get("HttpHeaders"), "user-agent"),
        encoded_data=data.get("EncodedData") or None,
    )
