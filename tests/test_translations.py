"""The English interface: every message translated, nothing fuzzy, and the committed .mo in step
with the .po (newcomers may lack msgfmt, so the compiled catalogue is committed)."""

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
FIELD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$')


def read_po(path: Path) -> list[dict]:
    """The .po file's entries as {field: text, "flags": [...]}, without the header."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": []}
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += [flag.strip() for flag in line[2:].split(",")]
            elif line.startswith("#"):
                continue
            elif match := FIELD.match(line):
                current = match.group(1)
                entry[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                entry[current] += ast.literal_eval(line)
        if entry.get("msgid"):
            entries.append(entry)
    return entries


ENTRIES = read_po(LOCALE / "django.po")


def test_the_catalogue_has_the_interface_strings():
    ids = {e["msgid"] for e in ENTRIES}
    assert {"Indsatser", "Søg i indsatserne", "Tilgængelighedserklæring"} <= ids
    assert len(ENTRIES) > 200


def test_every_entry_is_translated_and_none_is_fuzzy():
    untranslated = [
        e["msgid"] for e in ENTRIES if not all(v for k, v in e.items() if k.startswith("msgstr"))
    ]
    fuzzy = [e["msgid"] for e in ENTRIES if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalogue_matches_the_po_file():
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for e in ENTRIES:
        context = e.get("msgctxt")
        if "msgid_plural" in e:
            for n, key in ((1, "msgstr[0]"), (2, "msgstr[1]")):
                got = (
                    compiled.npgettext(context, e["msgid"], e["msgid_plural"], n)
                    if context
                    else compiled.ngettext(e["msgid"], e["msgid_plural"], n)
                )
                if got != e[key]:
                    stale.append(e["msgid"])
        else:
            got = (
                compiled.pgettext(context, e["msgid"]) if context else compiled.gettext(e["msgid"])
            )
            if got != e["msgstr"]:
                stale.append(e["msgid"])
    assert stale == [], "run `manage.py compilemessages` and commit the .mo"
    assert len(compiled._catalog) >= len(ENTRIES), "the .mo holds fewer messages than the .po"


TRANSLATING = {"gettext", "gettext_lazy", "_", "ngettext", "pgettext", "npgettext"}


def _translations_in_f_strings(source: str) -> list[int]:
    """Lines where a translation call sits inside an f-string's braces."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Name)
                    and inner.func.id in TRANSLATING
                    and inner.args
                    and isinstance(inner.args[0], ast.Constant)
                ):
                    found.append(inner.lineno)
    return found


def test_no_message_is_marked_inside_an_f_string():
    """xgettext does not read inside an f-string: a message marked there leaves the catalogue at
    the next `make messages`, and the English pages show it in Danish."""
    assert _translations_in_f_strings("x = f\"{gettext('Næste')} {n}\"") == [1]
    marked = {}
    for path in sorted(Path(settings.BASE_DIR).glob("[ci]*/**/*.py")):
        if lines := _translations_in_f_strings(path.read_text(encoding="utf-8")):
            marked[str(path.relative_to(settings.BASE_DIR))] = lines
    assert marked == {}
