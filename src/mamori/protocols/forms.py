"""HTML's application/x-www-form-urlencoded bodies read strictly: valid UTF-8, a bounded
number of fields, each field at most once (so no two readers of one form can disagree about
its value) and no NUL character. Errors say what is wrong; each endpoint words its own answer."""

from __future__ import annotations

import urllib.parse
from typing import Literal

FORM_TYPE = "application/x-www-form-urlencoded"

Fault = Literal["unreadable", "repeated", "nul"]


class FormSyntaxError(ValueError):
    """The body is no form this server reads: `fault` says why, `name` the repeated field."""

    def __init__(self, fault: Fault, name: str = "") -> None:
        super().__init__(fault if not name else f"{fault}: {name}")
        self.fault: Fault = fault
        self.name = name


def media_type(content_type: str) -> str:
    """A Content-Type header's media type, without its parameters, in lower case."""
    return content_type.split(";", 1)[0].strip().lower()


def parse_form(body: bytes, max_fields: int) -> dict[str, str]:
    try:
        pairs = urllib.parse.parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
            max_num_fields=max_fields,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormSyntaxError("unreadable") from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise FormSyntaxError("repeated", name)
        if "\x00" in name or "\x00" in value:
            raise FormSyntaxError("nul")
        fields[name] = value
    return fields
