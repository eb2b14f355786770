"""The problem type the curation wing reports, and how its messages quote values.

A problem names the file, the entry and the field it concerns (`file · entry · field: message`);
a load or a check that finds any writes nothing.
"""

from __future__ import annotations

import datetime
import reprlib
from dataclasses import dataclass
from typing import Any

from interventions.curation.pdf_text import excerpt

# Values quoted in messages are cut to this many characters.
SHOWN_LENGTH = 60


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file} · {self.entry} · {self.field}: {self.message}"


class CatalogueInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class EditedEntry:
    """An entry whose fixture changed while an editor also changed it in the database."""

    slug: str
    file: str
    changed_at: datetime.datetime | None
    changed_by: str

    def __str__(self) -> str:
        when = self.changed_at.strftime("%Y-%m-%d %H:%M") if self.changed_at else "?"
        return f"{self.file} · {self.slug}: edited in the admin ({when}, {self.changed_by})"


class EditedEntries(Exception):
    """Loading would overwrite editors' changes; nothing was written."""

    def __init__(self, entries: list[EditedEntry]) -> None:
        self.entries = entries
        super().__init__("\n".join(str(e) for e in entries))


class CatalogueBusy(Exception):
    """Another load or intake held the catalogue's write lock for longer than LOCK_WAIT_SECONDS."""


def first_line(exc: BaseException) -> str:
    """An exception as one short line, for a command's error message."""
    text = str(exc).strip() or str(exc.__cause__ or "").strip() or type(exc).__name__
    return excerpt(text.splitlines()[0], 200)


def shown(value: Any) -> str:
    """`value` as a message may quote it: like repr(), and short however large the value."""
    try:
        return _REPR.repr(value)
    except ValueError:  # an int too long to print
        return "a very large number"


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = SHOWN_LENGTH
_REPR.maxlong = 40
_REPR.maxlist = _REPR.maxdict = _REPR.maxtuple = _REPR.maxset = 4
_REPR.maxlevel = 2
