"""Extract the user-facing strings and keep the ko and en message catalogs up to date.

Usage (from anywhere; paths are resolved from the repository root):

    python scripts/update_catalogs.py           # extract, update both catalogs, fill en
    python scripts/update_catalogs.py --check   # change nothing; exit 1 on any problem

Updating does, in order:

1. extract every message of ``sesac_ms/**.py`` and ``templates/**.html`` (see ``babel.cfg``)
   into ``sesac_ms/translations/messages.pot``, sorted; the file is rewritten only when
   something besides its creation date changed;
2. create (``pybabel init``) or update (``pybabel update``) the ``ko`` and ``en`` catalogs
   ``sesac_ms/translations/<lang>/LC_MESSAGES/messages.po``;
3. fill every empty msgstr of the ``en`` catalog with its msgid, plural forms too: the
   msgids are English, so English needs no translator. An ``en`` entry that ``pybabel
   update`` marked fuzzy (a guess copied from a similar msgid) is reset to its msgid too;
4. report what is left to do, as ``--check`` does.

``--check`` extracts the sources into a temporary file and reports, without writing:

- a source msgid missing from ``messages.pot`` or from a catalog, or a msgid that is no
  longer in the sources but is still active there (run the script without ``--check``);
- an entry without translation, a fuzzy entry, or a catalog whose header is fuzzy (which
  ``pybabel compile`` would skip entirely);
- a translation whose ``%(name)s`` placeholders differ from its msgid's.

Then translate the new Korean entries in ``sesac_ms/translations/ko/LC_MESSAGES/messages.po``
(and delete their ``#, fuzzy`` lines). Compiling to .mo is ``pybabel compile -d
sesac_ms/translations`` (``make catalogs``); .mo files are not committed.

Only the standard library and Babel are used; the pybabel commands run with this same
interpreter (``python -m babel.messages.frontend``), so no virtualenv needs activating.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "babel.cfg"
TRANSLATIONS = ROOT / "sesac_ms" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
DOMAIN = "messages"
LOCALES = ("ko", "en")
#: The language the msgids are written in: its catalog is filled with copies of them.
SOURCE_LOCALE = "en"
#: Besides Babel's defaults (_, gettext, ngettext, pgettext, npgettext, N_, ...).
KEYWORDS = (
    "_l",
    "lazy_gettext",
    "lazy_ngettext:1,2",
    "lazy_pgettext:1c,2",
    "lazy_npgettext:1c,2,3",
)
#: Directories never searched. Babel's default also skips "_*" ones, which would lose
#: templates/_macros/ without a word.
IGNORE_DIRS = ".* __pycache__ node_modules"
WIDTH = 76  # pybabel's default line width; kept so that rewriting changes nothing else
PLACEHOLDER = re.compile(r"%\((\w+)\)")
CREATION_DATE = re.compile(r'^"POT-Creation-Date: .*"\n', re.MULTILINE)

Key = tuple[object, str | None]  # (msgid, or (msgid, msgid_plural); msgctxt)


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def pybabel(*args: str) -> None:
    """Run a pybabel command with this interpreter, from the repository root."""
    command = [sys.executable, "-m", "babel.messages.frontend", "--quiet", *args]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"failed: pybabel {' '.join(args)}")


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]["version"]


def extract(output: Path) -> None:
    """Extract the messages of the sources into `output`, a .pot file."""
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    pybabel(
        "extract", "-F", str(CONFIG), *keywords, "--sort-output",
        "--ignore-dirs", IGNORE_DIRS,
        "--add-comments", "TRANSLATORS:", "--project", "SeSAC MS", "--version", project_version(),
        "--width", str(WIDTH), "-o", str(output), ".",
    )  # fmt: skip


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale, domain=DOMAIN)


def write_catalog(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as file:
        write_po(file, catalog, width=WIDTH)


def active_messages(catalog: Catalog) -> dict[Key, Message]:
    """The messages of a catalog by (msgid, context): the header and obsolete ones left out."""
    return {(message.id, message.context): message for message in catalog if message.id}


def describe(key: Key) -> str:
    msgid, context = key
    text = " | ".join(msgid) if isinstance(msgid, tuple) else msgid
    return repr(text) + (f" (context {context!r})" if context else "")


# --- updating ----------------------------------------------------------------------------


def update_template() -> None:
    """Extract into messages.pot, rewriting it only when more than its date changed."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "messages.pot"
        extract(fresh)
        text = fresh.read_text(encoding="utf-8")
    if TEMPLATE.exists():
        old = TEMPLATE.read_text(encoding="utf-8")
        if CREATION_DATE.sub("", old) == CREATION_DATE.sub("", text):
            return
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_text(text, encoding="utf-8")
    print(f"wrote {TEMPLATE.relative_to(ROOT)}")


def update_catalog(locale: str) -> None:
    """`pybabel init` a missing catalog, else `pybabel update` it from messages.pot."""
    path = po_path(locale)
    command = "update" if path.exists() else "init"
    pybabel(
        command,
        "-i",
        str(TEMPLATE),
        "-d",
        str(TRANSLATIONS),
        "-D",
        DOMAIN,
        "-l",
        locale,
        "--width",
        str(WIDTH),
    )
    print(f"{command}: {path.relative_to(ROOT)}")


def fill_source_catalog(locale: str = SOURCE_LOCALE) -> int:
    """Give every empty (or fuzzy) msgstr of the source-language catalog its msgid."""
    path = po_path(locale)
    catalog = read_catalog(path, locale)
    filled = 0
    for message in active_messages(catalog).values():
        if isinstance(message.id, tuple | list):
            strings = list(message.string) if isinstance(message.string, tuple | list) else []
            strings += [""] * (catalog.num_plurals - len(strings))
            forms = [message.id[min(i, len(message.id) - 1)] for i in range(len(strings))]
            if message.fuzzy:
                strings = forms
            new = tuple(string or form for string, form in zip(strings, forms, strict=True))
        else:
            new = message.id if message.fuzzy or not message.string else message.string
        if new != message.string or message.fuzzy:
            message.string = new
            message.flags.discard("fuzzy")
            filled += 1
    if catalog.fuzzy:
        catalog.fuzzy = False
        filled += 1
    if filled:
        write_catalog(path, catalog)
        print(f"filled {filled} msgstr(s) of {path.relative_to(ROOT)} with their msgids")
    return filled


def update() -> None:
    update_template()
    for locale in LOCALES:
        update_catalog(locale)
    fill_source_catalog()


# --- checking ----------------------------------------------------------------------------


def untranslated(message: Message, num_plurals: int) -> bool:
    if isinstance(message.id, tuple | list):
        strings = message.string if isinstance(message.string, tuple | list) else ()
        return len(strings) < num_plurals or not all(strings[:num_plurals])
    return not message.string


def placeholder_problem(message: Message) -> str | None:
    """A translation must use the msgid's %(name)s placeholders, and no others."""
    ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    wanted = set().union(*(PLACEHOLDER.findall(text) for text in ids))
    for string in filter(None, strings):
        found = set(PLACEHOLDER.findall(string))
        plural = len(ids) > 1
        if (plural and not found <= wanted) or (not plural and found != wanted):
            return f"placeholders {sorted(found)} instead of {sorted(wanted)}"
    return None


def check_catalog(locale: str, source: dict[Key, Message]) -> list[str]:
    path = po_path(locale)
    name = str(path.relative_to(ROOT))
    if not path.exists():
        return [f"{name}: missing (run: python scripts/update_catalogs.py)"]
    catalog = read_catalog(path, locale)
    messages = active_messages(catalog)
    problems = []
    if catalog.fuzzy:
        problems.append(f"{name}: the header is fuzzy, pybabel compile would skip the catalog")
    for key in sorted(source.keys() - messages.keys(), key=str):
        problems.append(f"{name}: missing source msgid {describe(key)}")
    for key in sorted(messages.keys() - source.keys(), key=str):
        problems.append(f"{name}: msgid no longer in the sources {describe(key)}")
    for key, message in messages.items():
        if message.fuzzy:
            problems.append(f"{name}: fuzzy {describe(key)}")
        if untranslated(message, catalog.num_plurals):
            problems.append(f"{name}: untranslated {describe(key)}")
        elif problem := placeholder_problem(message):
            problems.append(f"{name}: {problem} in {describe(key)}")
    return problems


def find_problems() -> list[str]:
    """Everything that stands between the sources and two complete catalogs."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "messages.pot"
        extract(fresh)
        source = active_messages(read_catalog(fresh))
    problems = []
    name = str(TEMPLATE.relative_to(ROOT))
    if not TEMPLATE.exists():
        problems.append(f"{name}: missing (run: python scripts/update_catalogs.py)")
    else:
        template = active_messages(read_catalog(TEMPLATE))
        for key in sorted(source.keys() - template.keys(), key=str):
            problems.append(f"{name}: missing source msgid {describe(key)}")
        for key in sorted(template.keys() - source.keys(), key=str):
            problems.append(f"{name}: msgid no longer in the sources {describe(key)}")
    for locale in LOCALES:
        problems += check_catalog(locale, source)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring for details.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 when a catalog is incomplete or stale",
    )
    args = parser.parse_args(argv)
    if not args.check:
        update()
    problems = find_problems()
    for problem in problems:
        print(problem)
    if problems:
        print(
            f"{len(problems)} problem(s): translate the entries above "
            f"(and run the script without --check if catalogs are stale)."
        )
    else:
        print(
            "messages.pot and the catalogs " + ", ".join(LOCALES) + " are complete and up to date."
        )
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    sys.exit(main())
