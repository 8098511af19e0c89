"""Hosted UI (classic) CSS as Cognito accepts it: only the `-customizable` classes and the
properties Cognito documents for them, and values that cannot load or run anything.

Cognito's list: docs.aws.amazon.com/cognito/latest/developerguide/hosted-ui-classic-branding.html
("Specifying CSS customizations in classic branding"). mamori is stricter about values than the
page: a value is colours, lengths and keywords only, so no `url()`, `@import`, `expression()`,
escape or quoted string can reach a page that renders it.
"""

from __future__ import annotations

import re
from typing import Final

_COLOURS = frozenset({"color", "background-color"})
# Cognito's classes (pseudo-classes included) and the properties each may set.
ALLOWED: Final[dict[str, frozenset[str]]] = {
    "background-customizable": frozenset({"background-color"}),
    "banner-customizable": frozenset({"padding", "background-color"}),
    "errorMessage-customizable": frozenset(
        {"margin", "padding", "font-size", "width", "background", "border", "color", "box-sizing"}
    ),
    "idpButton-customizable": frozenset(
        {"height", "width", "text-align", "margin-bottom", "border-color", *_COLOURS}
    ),
    "idpButton-customizable:hover": _COLOURS,
    "idpDescription-customizable": frozenset(
        {"padding-top", "padding-bottom", "display", "font-size"}
    ),
    "inputField-customizable": frozenset({"width", "height", "border", *_COLOURS}),
    "inputField-customizable:focus": frozenset({"border-color", "outline"}),
    "label-customizable": frozenset({"font-weight"}),
    "legalText-customizable": frozenset({"color", "font-size"}),
    "logo-customizable": frozenset({"max-width", "max-height"}),
    "passwordCheck-notValid-customizable": frozenset({"color"}),
    "passwordCheck-valid-customizable": frozenset({"color"}),
    "socialButton-customizable": frozenset({"height", "text-align", "width", "margin-bottom"}),
    "submitButton-customizable": frozenset(
        {"font-size", "font-weight", "margin", "width", "height", *_COLOURS}
    ),
    "submitButton-customizable:hover": _COLOURS,
    "textDescription-customizable": frozenset(
        {"padding-top", "padding-bottom", "display", "font-size"}
    ),
}

_SELECTOR = re.compile(r"\.([A-Za-z][A-Za-z-]*(?::[a-z]+)?)")
_PROPERTY = re.compile(r"[a-z][a-z-]*")
# Colours (#hex, names, rgb()/hsl()), lengths, percentages and keywords; nothing else.
_VALUE = re.compile(r"[A-Za-z0-9#%.,+\s()-]+")
# The lookbehind starts a name only at its first letter, so a long run of letters costs one try.
_FUNCTION = re.compile(r"(?<![A-Za-z-])([A-Za-z-]+)\s*\(")
_FUNCTIONS: Final = frozenset({"rgb", "rgba", "hsl", "hsla"})
MAX_RULES: Final = 100


class CssError(ValueError):
    """The CSS is not what Cognito's hosted UI accepts; the message says why."""


def sanitise(css: str) -> str:
    """The CSS rewritten rule by rule in a canonical form; CssError for anything else.

    Scanned with str.find, never a backtracking pattern over the whole text: a request may
    carry 128 KiB of CSS.
    """
    text = _without_comments(css)
    if "@" in text:
        raise CssError("Invalid CSS: at-rules (@import, @media, @font-face ...) are not allowed.")
    if "\\" in text:
        raise CssError("Invalid CSS: escapes are not allowed.")
    rules: list[str] = []
    position = 0
    while True:
        opening = text.find("{", position)
        if opening == -1:
            if text[position:].strip():
                raise CssError(f"Invalid CSS: expected a rule at '{_shown(text, position)}'.")
            return "\n".join(rules)
        closing = text.find("}", opening)
        selector = text[position:opening]
        if closing == -1 or "}" in selector or "{" in text[opening + 1 : closing]:
            raise CssError(f"Invalid CSS: expected a rule at '{_shown(text, position)}'.")
        if not selector.strip():
            raise CssError("Invalid CSS: a rule without a selector.")
        if len(rules) == MAX_RULES:
            raise CssError(f"Invalid CSS: more than {MAX_RULES} rules.")
        rules.append(_rule(selector.strip(), text[opening + 1 : closing]))
        position = closing + 1


def _shown(text: str, position: int) -> str:
    return text[position : position + 200].strip()[:40]


def _without_comments(css: str) -> str:
    parts: list[str] = []
    position = 0
    while True:
        start = css.find("/*", position)
        if start == -1:
            parts.append(css[position:])
            return "".join(parts)
        end = css.find("*/", start + 2)
        if end == -1:
            raise CssError("Invalid CSS: an unterminated comment.")
        parts.append(css[position:start])
        parts.append(" ")
        position = end + 2


def _rule(selector_text: str, body: str) -> str:
    selectors = [s.strip() for s in selector_text.split(",")]
    allowed: frozenset[str] | None = None
    for selector in selectors:
        found = _SELECTOR.fullmatch(selector)
        name = found.group(1) if found else None
        if name is None or name not in ALLOWED:
            raise CssError(
                f"Invalid CSS: the selector '{selector[:60]}' is not one of the hosted UI's "
                "customizable classes."
            )
        allowed = ALLOWED[name] if allowed is None else allowed & ALLOWED[name]
    assert allowed is not None
    declarations: list[str] = []
    for declaration in body.split(";"):
        if not declaration.strip():
            continue
        prop, colon, value = declaration.partition(":")
        prop, value = prop.strip().lower(), " ".join(value.split())
        if not colon or not _PROPERTY.fullmatch(prop) or not value:
            raise CssError(f"Invalid CSS: '{declaration.strip()[:60]}' is not a declaration.")
        if prop not in allowed:
            raise CssError(
                f"Invalid CSS: the property '{prop[:60]}' cannot be set on "
                f"{', '.join(selectors)[:200]}."
            )
        _check_value(prop, value)
        declarations.append(f"{prop}: {value};")
    return f"{', '.join(selectors)} {{ {' '.join(declarations)} }}"


def _check_value(prop: str, value: str) -> None:
    # Every way a stylesheet loads or runs something (url(), image-set(), expression(),
    # quoted strings, escapes) needs a character or function kept out here.
    for function in _FUNCTION.findall(value):
        if function.lower() not in _FUNCTIONS:
            raise CssError(f"Invalid CSS: {function}() is not allowed (in '{prop}').")
    if not _VALUE.fullmatch(value) or not _nested(value, len(_FUNCTION.findall(value))):
        raise CssError(f"Invalid CSS: the value of '{prop}' may hold only colours and sizes.")


def _nested(value: str, functions: int) -> bool:
    """Every "(" opens an allowed function's arguments, and the parentheses nest: ")(" or a
    bare "(" is refused however the counts balance."""
    if value.count("(") != functions:
        return False
    depth = 0
    for char in value:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0
