"""Which language a page is shown in: `lang` (Cognito's parameter), then Accept-Language
(RFC 9110 section 12.5.4 qualities), then English."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mamori.api.hosted_ui.languages import LANGUAGES, catalogue_dir, choose, translations


@pytest.mark.parametrize(
    ("lang", "accept", "chosen"),
    [
        ("ja", None, "ja"),
        ("JA", "de", "ja"),
        ("pt-BR", None, "pt-BR"),
        ("pt_br", None, "pt-BR"),
        ("pt", None, "pt-BR"),
        ("zh-TW", None, "zh-TW"),
        ("zh-Hant-HK", None, "zh-TW"),
        ("zh", None, "zh-CN"),
        ("xx", "fr-CA, en;q=0.5", "fr"),
        (None, "da, ja;q=0.8, ko;q=0.9", "ko"),
        (None, "ja;q=0, de;q=0.1", "de"),
        (None, "*, it", "it"),
        (None, "en-GB,en;q=0.9", "en"),
        (None, "ja;q=abc, es", "es"),
        (None, "", "en"),
        (None, None, "en"),
    ],
)
def test_choose(lang: str | None, accept: str | None, chosen: str) -> None:
    assert choose(lang, accept) == chosen


@given(st.text(max_size=200), st.text(max_size=400))
def test_any_input_picks_a_language(lang: str, accept: str) -> None:
    assert choose(lang, accept) in LANGUAGES


def test_cognitos_languages_and_their_catalogues() -> None:
    assert LANGUAGES == ("de", "en", "es", "fr", "id", "it", "ja", "ko", "pt-BR", "zh-CN", "zh-TW")
    assert catalogue_dir("zh-TW") == "zh_TW"
    # English is the source language: its catalogue gives every message back as written.
    assert translations("en").gettext("Sign in") == "Sign in"
    assert translations("ja").gettext("Sign in") != "Sign in"
    # A message no catalogue knows is shown as written.
    assert translations("de").gettext("no such message") == "no such message"
