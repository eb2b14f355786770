"""Clean Danish text converted from PDF, and detect the debris that must not reach the catalogue.

Pure Python (no Django imports) so curators can run it on a seed file directly:

    python -m interventions.curation.pdf_text ../shared/seeds/000_4fa318b92b0e4177.txt 22 118

prints lines 22-118 re-joined into paragraphs and lists in the catalogue's text markup
(see fixtures/README.md). The result is a first pass for a curator to check by eye, not a
substitute for reading the source: PDF line breaks are ambiguous.
"""

from __future__ import annotations

import re
import sys
import unicodedata

# Characters that PDF conversion leaves behind, mapped to what clean text uses.
_CHAR_MAP = {
    "\u00a0": " ",  # no-break space
    "\u2007": " ",  # figure space
    "\u2009": " ",  # thin space
    "\u202f": " ",  # narrow no-break space
    "\u200b": "",  # zero-width space
    "\u00ad": "",  # soft hyphen
    "\ufeff": "",  # byte-order mark
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\t": " ",
    "\ufb01": "fi",
    "\ufb02": "fl",
}
_CHAR_TABLE = str.maketrans(_CHAR_MAP)

BULLET_GLYPHS = "•●▪■□◦‣∙·\uf0b7\uf0a7\uf0d8\uf076\uf0fc\uf0e0"
_BULLET_RE = re.compile(rf"^\s*(?:[{re.escape(BULLET_GLYPHS)}]|[-–](?=\s)|o(?=\s{{1,}}\S))\s*")
_NUMBERED_RE = re.compile(r"^\s*\d{1,2}[.)]\s+\S")
_SENTENCE_END_RE = re.compile(r"[.!?:;]['\"”’)]*$")
_PAGE_NUMBER_RE = re.compile(r"^\s*(?:side\s+)?\d{1,3}\s*$", re.IGNORECASE)
# Words that follow a hyphenated first part of a compound ("social- og sundhedsområdet").
_CONJUNCTIONS = {"og", "eller", "samt", "til", "som", "men", "både"}


def normalise_chars(text: str) -> str:
    """Replace PDF-conversion characters with plain ones and fold runs of spaces."""
    text = unicodedata.normalize("NFC", text).translate(_CHAR_TABLE)
    return re.sub(r" {2,}", " ", text)


def _join(left: str, right: str) -> str:
    """Join two wrapped lines, re-joining a word the PDF hyphenated across them."""
    if not left:
        return right
    if not right:
        return left
    m = re.search(r"(\w)-$", left)
    if m:
        first_word = right.split(" ", 1)[0].strip(",.;:")
        if m.group(1).islower() and right[:1].islower() and first_word not in _CONJUNCTIONS:
            return left[:-1] + right  # "særli-" + "ge" -> "særlige"
        if first_word in _CONJUNCTIONS:
            return left + " " + right  # "social-" + "og sundhed" -> "social- og sundhed"
        return left + right  # "KKR-" + "målsætninger" -> "KKR-målsætninger"
    return left + " " + right


def reflow(lines: list[str], drop: re.Pattern[str] | None = None) -> str:
    """Re-join PDF lines into paragraphs ("\\n\\n") and "- " list items.

    A line holding only spaces, or an empty line after a line that ends a sentence, ends a
    paragraph; other empty lines are PDF line spacing. Bare page numbers and lines matching
    `drop` (running heads) are removed.
    """
    blocks: list[str] = []  # finished paragraphs / list items; list items start with "- "
    current = ""
    current_lines = 0
    hard_break = soft_break = False

    def flush() -> None:
        nonlocal current, current_lines
        if current.strip():
            blocks.append(current.strip())
        current = ""
        current_lines = 0

    for raw in lines:
        raw = raw.rstrip("\n")
        line = normalise_chars(raw).strip()
        if not line:
            # " " or NBSP-only lines are the converter's paragraph marks; bare "" may be either
            # a paragraph break or mere line spacing, decided by the next line.
            if raw != "":
                hard_break = True
            soft_break = True
            continue
        if _PAGE_NUMBER_RE.match(line) or (drop is not None and drop.search(line)):
            continue
        bullet = _BULLET_RE.match(line)
        if bullet or _NUMBERED_RE.match(line):
            flush()
            current = "- " + line[bullet.end() :] if bullet else line
            current_lines = 1
            hard_break = soft_break = False
            continue
        starts_upper = line[:1].isupper() or line[:1].isdigit()
        heading_like = current_lines == 1 and len(current) < 60
        if hard_break or (
            soft_break and (_SENTENCE_END_RE.search(current) or (starts_upper and heading_like))
        ):
            flush()
        current = _join(current, line)
        current_lines += 1
        hard_break = soft_break = False
    flush()

    out = blocks[0] if blocks else ""
    for previous, block in zip(blocks, blocks[1:], strict=False):
        in_list = previous.startswith("- ") and block.startswith("- ")
        out += ("\n" if in_list else "\n\n") + block
    return out


# --- Debris detection (used by validate_catalogue and the test suite) ---------------------------

_DEBRIS_CHECKS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile("[\u00a0\u2007\u2009\u202f\u200b\u00ad]"),
        "non-breaking, thin or zero-width space",
    ),
    (re.compile("[\u2010\u2011\u2012]"), "U+2010-style hyphen"),
    (re.compile(f"[{re.escape(BULLET_GLYPHS.replace('·', ''))}]"), "bullet glyph"),
    (re.compile(r"[a-zæøå]{2,}- +[a-zæøå]{2,}(?<!\bog)(?<!\beller)"), "word split by a hyphen"),
    (re.compile(r"(?m)^\s*\d{1,3}\s*$"), "bare page number line"),
    (re.compile(r"\ufffd"), "replacement character"),
    (re.compile(r"[ \t]+$", re.MULTILINE), "trailing spaces"),
    (re.compile(r"  +"), "double space"),
]
_SPLIT_OK_FOLLOWERS = re.compile(r"- +(og|eller|samt|til|som|men|både|and|or)\b")


# Characters no catalogue text may hold: the control characters (Unicode category Cc) except line
# feed and tab, which terminals act on (ESC starts an escape sequence) and PostgreSQL refuses
# (NUL), and lone surrogates, which cannot be stored as UTF-8 at all.
_FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def forbidden_character(text: str) -> tuple[int, str] | None:
    """The position (1-based) and code point ("U+001B") of the first character that no text may
    hold, or None when `text` has none: see _FORBIDDEN_CHARACTERS."""
    match = _FORBIDDEN_CHARACTERS.search(text)
    if match is None:
        return None
    return match.start() + 1, f"U+{ord(match.group()):04X}"


def excerpt(text: str, limit: int = 60) -> str:
    """`text` as a message may quote it: at most `limit` characters, and line breaks and
    forbidden characters shown as escapes (an ESC sent to a terminal would be acted on)."""
    short = text if len(text) <= limit else text[:limit] + "…"
    return re.sub(
        "[\n\t\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]",
        lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"),
        short,
    )


def debris_problems(text: str) -> list[str]:
    """Return a description of each kind of PDF debris found in `text` (empty when clean)."""
    problems = []
    for pattern, label in _DEBRIS_CHECKS:
        for match in pattern.finditer(text):
            if label == "word split by a hyphen" and _SPLIT_OK_FOLLOWERS.match(
                text, match.start() + match.group(0).index("-")
            ):
                continue
            snippet = text[max(0, match.start() - 20) : match.end() + 20].replace("\n", "⏎")
            problems.append(f"{label}: …{snippet}…")
            break
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print(
            "usage: python -m interventions.curation.pdf_text SEED_FILE FIRST_LINE LAST_LINE",
            file=sys.stderr,
        )
        return 2
    path, first, last = argv[1], int(argv[2]), int(argv[3])
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")[first - 1 : last]
    print(reflow(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
