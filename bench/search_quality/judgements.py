"""Reading and checking a judged query file (queries.yaml, or a held-out set in the same format).

`load()` checks the file's own shape; `check_slugs()` checks it against the catalogue (every
judged slug is a published entry). Either raises `QuerySetError` listing every problem found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

QUERIES = Path(__file__).resolve().parent / "queries.yaml"
KINDS = (
    "topic",
    "typo",
    "inflection",
    "compound",
    "place",
    "paragraph",
    "question",
    "alias",
    "vocabulary",
)
KNOWN_KEYS = {"id", "kind", "query", "note", "judgements", "no_relevant"}


class QuerySetError(ValueError):
    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s)\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Query:
    id: str
    kind: str
    query: str
    judgements: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def has_relevant(self) -> bool:
        return bool(self.judgements)


HALVES = ("dev", "check")


def half(query_id: str) -> str:
    """The stable half a query belongs to, by a hash of its id: "dev" (to look at while
    changing the search) or "check" (to measure the change on, unseen)."""
    return HALVES[hashlib.sha256(query_id.encode()).digest()[0] % 2]


def load(path: Path = QUERIES, kinds: Iterable[str] | None = None) -> list[Query]:
    """The queries of a file, in file order, optionally only those of some kinds."""
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    problems: list[str] = []
    rows = data.get("queries") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        raise QuerySetError(path, ["the file must have a non-empty list `queries`"])
    queries, seen = [], set()
    for number, row in enumerate(rows, start=1):
        where = f"query {number} ({row.get('id', '?') if isinstance(row, dict) else '?'})"
        if not isinstance(row, dict):
            problems.append(f"{where}: not a mapping")
            continue
        problems += [f"{where}: unknown key {key!r}" for key in set(row) - KNOWN_KEYS]
        for key in ("id", "kind", "query"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                problems.append(f"{where}: `{key}` must be a non-empty string")
        if row.get("id") in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(row.get("id"))
        if row.get("kind") not in KINDS:
            problems.append(f"{where}: kind must be one of {', '.join(KINDS)}")
        judgements = row.get("judgements")
        if not isinstance(judgements, dict):
            problems.append(f"{where}: `judgements` must be a mapping of slug to grade")
            continue
        bad = {s: g for s, g in judgements.items() if g not in (1, 2) or isinstance(g, bool)}
        problems += [f"{where}: {s}: grade must be 1 or 2 (0 is left out)" for s in bad]
        no_relevant = row.get("no_relevant", False)
        if no_relevant is not True and no_relevant is not False:
            problems.append(f"{where}: `no_relevant` must be true or false")
        elif no_relevant and judgements:
            problems.append(f"{where}: `no_relevant: true` with judgements")
        elif not no_relevant and 2 not in judgements.values():
            problems.append(
                f"{where}: no grade-2 entry; mark a query with no relevant entry at all "
                "`no_relevant: true`"
            )
        queries.append(
            Query(
                id=row.get("id", ""),
                kind=row.get("kind", ""),
                query=row.get("query", ""),
                judgements=dict(judgements),
                note=row.get("note", "") or "",
            )
        )
    if problems:
        raise QuerySetError(path, problems)
    if kinds:
        wanted = set(kinds)
        unknown = wanted - set(KINDS)
        if unknown:
            raise QuerySetError(path, [f"unknown kind(s): {', '.join(sorted(unknown))}"])
        queries = [q for q in queries if q.kind in wanted]
    return queries


def check_slugs(path: Path, queries: list[Query], published: set[str]) -> None:
    """Every judged slug must be a published entry of the catalogue being measured."""
    problems = [
        f"{q.id}: {slug} is not a published entry"
        for q in queries
        for slug in q.judgements
        if slug not in published
    ]
    if problems:
        raise QuerySetError(path, problems)
