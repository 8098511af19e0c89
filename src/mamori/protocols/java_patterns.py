"""Java regular expressions from botocore's models, matched as AWS (Java) matches them.

The models' `pattern` traits are Java regexes applied to the whole value; Python's `\\d \\w \\s` are
Unicode where Java's are ASCII, and some model patterns backtrack badly on long values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final

import regex  # type: ignore[import-untyped]

# Java's \d \w \s are ASCII-only unless UNICODE_CHARACTER_CLASS is set; Python's are Unicode.
_JAVA_SHORTHANDS: Final = {"d": "0-9", "w": "A-Za-z0-9_", "s": " \\t\\n\\x0B\\f\\r"}
# Values this short cannot backtrack for long; longer ones get a time limit (see matcher).
_UNGUARDED_LENGTH: Final = 512
_PATTERN_TIMEOUT_SECONDS: Final = 0.05


@functools.lru_cache(maxsize=1024)
def matcher(java_pattern: str) -> Callable[[str], bool]:
    # AWS (Java's Matcher.matches) applies the pattern to the whole value.
    fullmatch = regex.compile(python_pattern(java_pattern)).fullmatch

    def matches(value: str) -> bool:
        if len(value) <= _UNGUARDED_LENGTH:
            return fullmatch(value) is not None
        # Model patterns such as EmailVerificationMessage's [..]*\{####\}[..]* backtrack
        # quadratically on long non-matching values (seconds at their 20000-character limit).
        # Matching values succeed in linear time, so running out of time means "no match".
        try:
            return fullmatch(value, timeout=_PATTERN_TIMEOUT_SECONDS) is not None
        except TimeoutError:
            return False

    return matches


def python_pattern(java: str) -> str:
    """Translate a Java regex to `regex` syntax where their semantics differ (\\w \\d \\s)."""
    out: list[str] = []
    items: list[str] | None = None  # atoms of the character class being read
    i = 0
    while i < len(java):
        atom = java[i : i + 2] if java[i] == "\\" else java[i]
        i += len(atom)
        shorthand = atom[1] if len(atom) == 2 else ""
        if items is None:
            if shorthand.lower() in _JAVA_SHORTHANDS:
                negate = "^" if shorthand.isupper() else ""
                out.append(f"[{negate}{_JAVA_SHORTHANDS[shorthand.lower()]}]")
            elif atom == "[":
                items = []
            else:
                out.append(atom)
        elif atom == "]" and items and items != ["^"]:
            out.append(_python_class(items))
            items = None
        elif atom == "[" or (atom == "&" and java.startswith("&", i)):
            # Java's nested class union and && intersection have no V0 equivalent; keep the
            # pattern as written (Unicode shorthands) rather than guess.
            return java
        else:
            items.append(atom)
    return java if items is not None else "".join(out)


def _python_class(items: list[str]) -> str:
    negated = items[0] == "^"
    body = items[1:] if negated else items
    if len(body) == 1 and body[0][1:] in ("D", "W", "S"):
        # [\S] is the common case: a negated shorthand alone in a class.
        return f"[{'' if negated else '^'}{_JAVA_SHORTHANDS[body[0][1].lower()]}]"
    parts: list[str] = []
    for atom in body:
        if atom[:1] == "\\" and atom[1:] in _JAVA_SHORTHANDS:
            parts.append(_JAVA_SHORTHANDS[atom[1:]])
        else:
            # A negated shorthand mixed with other items stays Unicode: no model pattern has one.
            parts.append(atom)
    return "[" + ("^" if negated else "") + "".join(parts) + "]"
