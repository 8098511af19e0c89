"""Refreshes the hosted pages' message catalogues: extracts every message from the templates
and the page modules into locales/messages.pot, then updates each language's messages.po
(creating the missing ones), keeping the translations already made.

    .venv/bin/python scripts/hosted_ui_messages.py

Translate by editing locales/<lang>/LC_MESSAGES/messages.po (msgstr); nothing is compiled: the
server reads the .po files (api/hosted_ui/languages.py). docs/hosted-ui.md has the details.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "src" / "mamori" / "api" / "hosted_ui"
LOCALES = PAGES / "locales"
POT = LOCALES / "messages.pot"
sys.path.insert(0, str(ROOT / "src"))

from mamori.api.hosted_ui.languages import LANGUAGES, catalogue_dir  # noqa: E402


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def main() -> None:
    LOCALES.mkdir(exist_ok=True)
    pybabel(
        "extract",
        "-F",
        str(PAGES / "babel.cfg"),
        "-o",
        str(POT),
        "--no-location",
        "--sort-output",
        "--project=mamori",
        "--copyright-holder=mamori",
        "--msgid-bugs-address=-",
        str(PAGES),
    )
    for code in LANGUAGES:
        name = catalogue_dir(code)
        po = LOCALES / name / "LC_MESSAGES" / "messages.po"
        if po.exists():
            pybabel("update", "-i", str(POT), "-o", str(po), "-l", name, "--no-fuzzy-matching")
        else:
            pybabel("init", "-i", str(POT), "-o", str(po), "-l", name)


if __name__ == "__main__":
    main()
