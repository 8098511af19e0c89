"""Posted forms read strictly: application/x-www-form-urlencoded only, a bounded body and
number of fields, valid UTF-8, and each field at most once (a repeated field is refused, so
no two readers of one form can disagree about its value)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request

from mamori.api.forms import BodyTooLarge, read_body
from mamori.protocols.forms import FORM_TYPE, FormSyntaxError, media_type, parse_form

MAX_BODY_BYTES = 16 * 1024
MAX_FIELDS = 64


class FormError(Exception):
    """The body is not a form this server reads; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def read_form(request: Request, max_bytes: int = MAX_BODY_BYTES) -> Mapping[str, str]:
    if media_type(request.headers.get("content-type", "")) != FORM_TYPE:
        raise FormError("The form must be sent as " + FORM_TYPE + ".", 415)
    try:
        return parse_form(await read_body(request, max_bytes), MAX_FIELDS)
    except BodyTooLarge as exc:
        raise FormError("The form is too large.", 413) from exc
    except FormSyntaxError as exc:
        if exc.fault == "repeated":
            raise FormError(f"The field {exc.name!r} was sent more than once.") from exc
        raise FormError("The form could not be read.") from exc
