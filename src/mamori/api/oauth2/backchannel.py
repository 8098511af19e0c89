"""What the back-channel endpoints (/oauth2/token, /oauth2/revoke, /oauth2/userInfo,
/oauth2/introspect) share: the strict form reader, and JSON answers and errors that no cache
keeps (RFC 6749 section 5.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from mamori.api.forms import BodyTooLarge, read_body
from mamori.protocols.forms import FORM_TYPE, FormSyntaxError, media_type, parse_form
from mamori.protocols.oauth2.errors import InvalidClient, InvalidRequest, OAuthError

# A token request is a few hundred bytes; 64 KiB leaves room for any client and no more.
MAX_FORM_BYTES = 64 * 1024
MAX_FIELDS = 32
BODY_SECONDS = 30.0
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_FAULTS = {
    "unreadable": "The request body is not a valid form.",
    "nul": "The request has a NUL character.",
}


async def read_form(request: Request) -> dict[str, str]:
    """RFC 6749 section 3.2: form-encoded only, and no parameter more than once."""
    if media_type(request.headers.get("content-type", "")) != FORM_TYPE:
        raise InvalidRequest(f"Content-Type must be {FORM_TYPE}.")
    try:
        return parse_form(await read_body(request, MAX_FORM_BYTES, BODY_SECONDS), MAX_FIELDS)
    except BodyTooLarge as exc:
        raise InvalidRequest(f"The request body exceeds {MAX_FORM_BYTES} bytes.") from exc
    except TimeoutError as exc:
        raise InvalidRequest("The request body was not received in time.") from exc
    except ClientDisconnect as exc:
        raise InvalidRequest("The request body was not received.") from exc
    except FormSyntaxError as exc:
        if exc.fault == "repeated":
            raise InvalidRequest(f"Parameter {exc.name} is repeated.") from exc
        raise InvalidRequest(_FAULTS[exc.fault]) from exc


def present(form: Mapping[str, str], name: str) -> str | None:
    """A parameter's value; an empty one counts as left out (section 3.1)."""
    return form.get(name) or None


def required(form: Mapping[str, str], name: str) -> str:
    value = present(form, name)
    if value is None:
        raise InvalidRequest(f"{name} is required.")
    return value


def answer(payload: Mapping[str, Any], status: int = 200) -> Response:
    return JSONResponse(dict(payload), status_code=status, headers=NO_STORE)


def oauth_error(error: OAuthError, basic: bool = False) -> Response:
    """Section 5.2: JSON `error` and `error_description`. invalid_client answers 401 with a
    Basic challenge when the client tried Basic, 400 otherwise (Cognito's statuses)."""
    body = {"error": error.error}
    if error.description:
        body["error_description"] = error.description
    status = error.status
    headers = dict(NO_STORE)
    if isinstance(error, InvalidClient):
        status = 401 if basic else 400
        if basic:
            headers["WWW-Authenticate"] = 'Basic realm="oauth2"'
    return JSONResponse(body, status_code=status, headers=headers)
