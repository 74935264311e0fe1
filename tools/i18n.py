"""`make i18n`: extract every marked sentence, update each language's catalog, compile.

Babel's own API does the work (no setuptools, no pybabel command): it extracts what
``_``, ``ngettext``, ``N_`` and ``Message`` mark in src/, merges the template into each
``locale/<code>/LC_MESSAGES/studycircle.po`` (new sentences arrive empty, changed ones
fuzzy, gone ones commented out at the end), and compiles each into the ``.mo`` beside it,
which the package ships and ``tests/test_i18n_catalogs.py`` checks against the ``.po``.

    python tools/i18n.py            # extract, update, compile
    python tools/i18n.py --check    # list sentences missing, untranslated or with wrong fields

A new language: add its code to ``i18n.LANGUAGES`` and run this; it starts the catalog.
"""

import argparse
import io
import re
import string
import sys
from collections import Counter
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "studycircle_tui"
LOCALE = PACKAGE / "locale"
# core.messages.Message("template {field}", field=…) marks its first argument too.
KEYWORDS = {**DEFAULT_KEYWORDS, "Message": None}


def template() -> Catalog:
    """Every marked sentence in the package, with where it is used."""
    catalog = Catalog(project="studycircle-tui", domain="studycircle")
    found = extract_from_dir(
        PACKAGE, keywords=KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(
            message,
            None,
            [(f"studycircle_tui/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def po_path(code: str) -> Path:
    return LOCALE / code / "LC_MESSAGES" / "studycircle.po"


def read(code: str) -> Catalog:
    path = po_path(code)
    if not path.exists():
        return Catalog(locale=code, domain="studycircle", project="studycircle-tui")
    with path.open("rb") as file:
        return read_po(file, locale=code, domain="studycircle")


def compiled(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def update(code: str, source: Catalog) -> Catalog:
    catalog = read(code)
    known = {m.id for m in catalog if m.id}
    if known != {m.id for m in source if m.id}:
        catalog.update(source, update_creation_date=True)
    else:
        catalog.update(source, update_creation_date=False)
    path = po_path(code)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        # No line numbers: moving code about should not rewrite every catalog.
        write_po(file, catalog, width=100, include_lineno=False, sort_output=False)
    path.with_suffix(".mo").write_bytes(compiled(read(code)))
    return catalog


# printf-style fields (argparse's own sentences): %s, %r, %(name)s.
_PERCENT = re.compile(r"%(?:\([a-z_]+\))?[sdr]")


def placeholders(text: str) -> Counter[str]:
    """The fields a sentence is filled in with, each with its format and conversion:
    ``{count:,}``, ``{name!r}``, ``%(prog)s``. ValueError if its braces are broken."""
    found: Counter[str] = Counter(_PERCENT.findall(text))
    for _literal, field, spec, conversion in string.Formatter().parse(text):
        if field is not None:
            found[f"{{{field}!{conversion or ''}:{spec or ''}}}"] += 1
    return found


def problems(source: Catalog, catalog: Catalog) -> list[str]:
    """What keeps ``catalog`` from saying every sentence of ``source``: a sentence missing,
    untranslated or fuzzy, or a translation whose fields differ from the English."""
    found = []
    for wanted in source:
        if not wanted.id:
            continue
        english = wanted.id if isinstance(wanted.id, str) else wanted.id[-1]
        shown = repr(english)
        held = catalog.get(wanted.id)
        if held is None:
            found.append(f"not in the catalog: {shown}")
            continue
        forms = held.string if isinstance(held.string, tuple | list) else (held.string,)
        if held.fuzzy or not all(forms):
            found.append(f"not translated{' (fuzzy)' if held.fuzzy else ''}: {shown}")
            continue
        for form in forms:
            try:
                if placeholders(form) != placeholders(english):
                    found.append(f"fields differ from the English in {form!r}: {shown}")
            except ValueError as error:
                found.append(f"broken braces ({error}) in {form!r}: {shown}")
    return found


def languages() -> list[str]:
    sys.path.insert(0, str(PACKAGE.parent))
    from studycircle_tui.i18n import LANGUAGES, SOURCE

    return [code for code in LANGUAGES if code != SOURCE]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report what is missing")
    args = parser.parse_args()
    source = template()
    failures = 0
    for code in languages():
        if args.check:
            found = problems(source, read(code))
            for problem in found:
                print(f"{code}: {problem}")
            failures += len(found)
            continue
        catalog = update(code, source)
        empty = [m for m in catalog if m.id and (not m.string or m.fuzzy)]
        print(f"{code}: {len(source)} sentences, {len(empty)} to translate ({po_path(code)})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
