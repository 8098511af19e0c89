"""Posted forms read strictly: application/x-www-form-urlencoded only, a bounded body and
number of fields, valid UTF-8, and each field at most once (a repeated field is refused, so
no two readers of one form can disagree about its value)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping

from starlette.requests import Request

MAX_BODY_BYTES = 16 * 1024
MAX_FIELDS = 64
FORM_TYPE = "application/x-www-form-urlencoded"


class FormError(Exception):
    """The body is not a form this server reads; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def read_form(request: Request, max_bytes: int = MAX_BODY_BYTES) -> Mapping[str, str]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != FORM_TYPE:
        raise FormError("The form must be sent as " + FORM_TYPE + ".", 415)
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
        raise FormError("The form is too large.", 413)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise FormError("The form is too large.", 413)
    try:
        text = bytes(body).decode("utf-8")
        pairs = urllib.parse.parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormError("The form could not be read.") from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise FormError(f"The field {name!r} was sent more than once.")
        if "\x00" in value or "\x00" in name:
            raise FormError("The form could not be read.")
        fields[name] = value
    return fields
