"""Cognito's ListUsers filter grammar: `attribute = "value"` or `attribute ^= "value"`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FILTER = re.compile(
    r'^\s*(?P<attr>[\w:.\-]+)\s*(?P<op>\^=|=)\s*"(?P<value>(?:[^"\\]|\\.)*)"\s*$', re.DOTALL
)
FILTERABLE = frozenset(
    {
        "username",
        "email",
        "phone_number",
        "name",
        "given_name",
        "family_name",
        "preferred_username",
        "cognito:user_status",
        "status",
        "sub",
    }
)


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class Filter:
    attribute: str
    value: str
    prefix: bool


def parse(text: str) -> Filter | None:
    """The filter in `text`, None for an empty filter; FilterError naming what is wrong."""
    if not text.strip():
        return None
    match = _FILTER.match(text)
    if match is None:
        raise FilterError(
            'Error while parsing filter: expected attribute = "value" or attribute ^= "value".'
        )
    attribute = match["attr"]
    if attribute not in FILTERABLE:
        raise FilterError(f"Invalid search attribute: {attribute}")
    value = re.sub(r"\\(.)", r"\1", match["value"])
    return Filter(attribute, value, match["op"] == "^=")
