"""Refresh the English catalog of the pages: extract the Vietnamese texts, keep the translations
already made, report what is missing, and compile the .mo file Flask-Babel reads.

    make translations        (then translate the empty msgstr entries in messages.po, and run it again)
    python scripts/translations.py --compile    (only compile messages.po to messages.mo: the image build)
"""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "platform/web/translations/en/LC_MESSAGES"


def extract() -> Catalog:
    """The texts the code and templates use now."""
    pot = ROOT / "build" / "messages.pot"
    pot.parent.mkdir(exist_ok=True)
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_", "--no-location", "--omit-header",
         "--sort-output", "-o", str(pot), str(ROOT)]
    )  # fmt: skip
    with pot.open("rb") as f:
        return read_po(f)


def english() -> Catalog:
    with (CATALOG / "messages.po").open("rb") as f:
        return read_po(f, locale="en")


def compiled(catalog: Catalog) -> bytes:
    # The header Babel writes carries a creation date; a fixed one keeps the .mo the same from run to run.
    catalog.creation_date = datetime(2026, 1, 1, tzinfo=UTC)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    if argv == ["--compile"]:
        (CATALOG / "messages.mo").write_bytes(compiled(english()))
        return 0
    catalog = english()
    catalog.update(extract(), no_fuzzy_matching=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    with (CATALOG / "messages.po").open("wb") as f:
        write_po(f, catalog, omit_header=True, no_location=True, sort_output=True, ignore_obsolete=True)
    (CATALOG / "messages.mo").write_bytes(compiled(english()))
    for text in missing:
        print(f"missing English for: {text!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
