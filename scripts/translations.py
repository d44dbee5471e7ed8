"""Refresh the English catalog of the pages: extract the Vietnamese texts, keep the translations
already made, report what is missing, and compile the .mo file Flask-Babel reads.

    .venv/bin/python scripts/translations.py          (make translations)
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "platform/web/translations/en/LC_MESSAGES"


def main() -> int:
    pot = ROOT / "build" / "messages.pot"
    pot.parent.mkdir(exist_ok=True)
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_", "--no-location", "--omit-header",
         "--sort-output", "-o", str(pot), str(ROOT)]
    )  # fmt: skip
    with pot.open("rb") as f:
        template = read_po(f)
    po_path = CATALOG / "messages.po"
    if po_path.exists():
        with po_path.open("rb") as f:
            catalog = read_po(f, locale="en")
        catalog.update(template, no_fuzzy_matching=True)
    else:
        catalog = template
        catalog.locale = "en"
    missing = [m.id for m in catalog if m.id and not m.string]
    CATALOG.mkdir(parents=True, exist_ok=True)
    with po_path.open("wb") as f:
        write_po(f, catalog, omit_header=True, no_location=True, sort_output=True, ignore_obsolete=True)
    with (CATALOG / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    for text in missing:
        print(f"missing English for: {text!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
