"""The pages' languages: which one a request gets (`lang`, then Accept-Language, then English)
and the translations of each, read from the gettext catalogues under locales/."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = Path(__file__).parent / "locales"
DEFAULT = "en"
# Cognito's managed login languages (the `lang` parameter's values), in its spelling.
LANGUAGES = ("de", "en", "es", "fr", "id", "it", "ja", "ko", "pt-BR", "zh-CN", "zh-TW")
# What each is called in itself, for the language menu.
NATIVE_NAMES = {
    "de": "Deutsch",
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "id": "Bahasa Indonesia",
    "it": "Italiano",
    "ja": "日本語",
    "ko": "한국어",
    "pt-BR": "Português (Brasil)",
    "zh-CN": "简体中文",
    "zh-TW": "繁體中文",
}
_BY_LOWER = {code.lower(): code for code in LANGUAGES}
# A bare language whose catalogue is regional: "pt" is Brazilian, "zh" Simplified.
_BARE = {"pt": "pt-BR", "zh": "zh-CN"}
# Accept-Language is bounded by the server's header limits; this bounds the work on it.
_MAX_RANGES = 32


def _known(tag: str) -> str | None:
    tag = tag.strip().replace("_", "-").lower()
    if not tag:
        return None
    if tag in _BY_LOWER:
        return _BY_LOWER[tag]
    if tag in ("zh-hant", "zh-hk", "zh-mo") or tag.startswith("zh-hant-"):
        return "zh-TW"
    if tag.startswith("zh-hans"):
        return "zh-CN"
    primary = tag.split("-", 1)[0]
    return _BY_LOWER.get(primary) or _BARE.get(primary)


def _ranges(accept_language: str) -> list[tuple[float, int, str]]:
    """RFC 9110 section 12.5.4: language ranges by quality (q=0: not acceptable), ties in the
    order given."""
    out = []
    for index, item in enumerate(accept_language.split(",")[:_MAX_RANGES]):
        tag, _, params = item.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if 0.0 < quality <= 1.0 and tag.strip() and tag.strip() != "*":
            out.append((-quality, index, tag))
    return sorted(out)


def choose(lang: str | None, accept_language: str | None) -> str:
    """`lang` when it names one of the languages (as Cognito's parameter), else the first
    acceptable one of Accept-Language, else English."""
    if lang:
        known = _known(lang)
        if known:
            return known
    for _, _, tag in _ranges(accept_language or ""):
        known = _known(tag)
        if known:
            return known
    return DEFAULT


def catalogue_dir(code: str) -> str:
    """gettext's directory name for a language: pt-BR -> pt_BR."""
    return code.replace("-", "_")


@functools.cache
def translations(code: str) -> Translations:
    """The language's messages, compiled from its .po file the first time they are needed (a
    fresh checkout runs without a build step, and no compiled file can go stale). Messages a
    catalogue leaves untranslated show in English."""
    path = LOCALES / catalogue_dir(code) / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return Translations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=catalogue_dir(code))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)
