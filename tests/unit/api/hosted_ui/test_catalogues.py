"""The pages' message catalogues: every language lists every message of the template
(messages.pot), Japanese translates every one of them, and no translation loses or invents a
placeholder (a missing `%(destination)s` would drop the address from the page)."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from mamori.api.hosted_ui.languages import LANGUAGES, LOCALES, catalogue_dir

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def catalogue(path: str, locale: str | None = None) -> Catalog:
    with (LOCALES / path).open("rb") as po:
        return read_po(po, locale=locale)


def messages(catalog: Catalog) -> dict[str, str]:
    return {str(m.id): str(m.string or "") for m in catalog if m.id and isinstance(m.id, str)}


TEMPLATE = messages(catalogue("messages.pot"))


def test_the_template_has_the_pages_messages() -> None:
    assert "Sign up" in TEMPLATE and "Verification code" in TEMPLATE
    assert "Your password must have at least %(count)s characters." in TEMPLATE


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_language_lists_every_message(code: str) -> None:
    name = catalogue_dir(code)
    found = messages(catalogue(f"{name}/LC_MESSAGES/messages.po", name))
    assert sorted(set(TEMPLATE) - set(found)) == []


def test_japanese_is_complete_with_the_same_placeholders() -> None:
    japanese = messages(catalogue("ja/LC_MESSAGES/messages.po", "ja"))
    untranslated = sorted(m for m in TEMPLATE if not japanese.get(m))
    assert untranslated == []
    for message, text in japanese.items():
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(message)), message


def test_japanese_is_polite() -> None:
    """Sentences addressed to the user end in です/ます forms (or a request: ください)."""
    japanese = messages(catalogue("ja/LC_MESSAGES/messages.po", "ja"))
    sentences = [t for t in japanese.values() if t.endswith("。")]
    assert sentences
    for text in sentences:
        for sentence in filter(None, text.split("。")):
            polite = ("です", "ます", "ください", "ません", "でした", "ました")
            assert sentence.rstrip().endswith(polite), text
