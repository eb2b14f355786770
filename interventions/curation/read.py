"""Reading the fixture files and intake forms safely.

Input files are not trusted: fixture files arrive in pull requests and intake forms from
municipalities. `read_yaml()` refuses what the formats never need and an attacker could use
(anchors and aliases, duplicate keys, deep nesting, huge files); `read_fixtures()` reads a
fixtures folder (fixtures/README.md) into `Fixtures`, reporting each file it cannot use as a
`Problem`. What the values mean is checked afterwards, by validate.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, MappingEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode

from interventions.curation.pdf_text import excerpt
from interventions.curation.problems import SHOWN_LENGTH, Problem

VOCABULARY_FILES = (
    "regions",
    "municipalities",
    "target_groups",
    "policy_areas",
    "methods",
    "kkr_goals",
    "legal_paragraphs",
    "sources",
)


@dataclass
class Fixtures:
    """The parsed contents of a fixtures folder."""

    vocabularies: dict[str, Any] = field(default_factory=dict)
    sources: list[tuple[str, dict]] = field(default_factory=list)  # (file name, content)

    def interventions(self) -> list[tuple[str, str, dict]]:
        return [
            (name, content["source"], entry)
            for name, content in self.sources
            for entry in content.get("interventions") or []
        ]

    def guidance(self) -> list[tuple[str, str, dict]]:
        return [
            (name, content["source"], item)
            for name, content in self.sources
            for item in content.get("guidance") or []
        ]

    def sections(self) -> list[tuple[str, str, dict]]:
        return [
            (name, content["source"], item)
            for name, content in self.sources
            for item in content.get("sections") or []
        ]


# Limits on one input file, far above what the curated files need (the largest is 0.6 MB and
# holds 4,400 values nested 6 deep) and far below what would exhaust memory.
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_YAML_VALUES = 100_000
MAX_YAML_NESTING = 20
MAX_NUMBER_DIGITS = 100

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TAG_NAMES = {
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:bool": "true/false",
    _INT_TAG: "a number",
    "tag:yaml.org,2002:float": "a number",
    _TIMESTAMP_TAG: "a date",
}
# Keys whose value names a list item in messages ("biofeedback-horsens" rather than "#3").
_NAMING_KEYS = ("slug", "code", "number", "key", "abbreviation", "name")


class Item(NamedTuple):
    """A list item on the path to a value: its position (from 0) and its name, when it has one."""

    index: int
    name: str | None


class InputRefused(Exception):
    """An input file that `read_yaml()` returns no data from. `code` says why (a key of
    READ_MESSAGES); `path` leads from the top of the file to the offending value, when there is
    one: mapping keys and `Item`s."""

    def __init__(
        self,
        code: str,
        *,
        line: int | None = None,
        column: int | None = None,
        path: tuple[str | Item, ...] = (),
        **params: Any,
    ) -> None:
        self.code, self.line, self.column, self.path, self.params = code, line, column, path, params
        super().__init__(code)

    def describe(self, messages: dict[str, str], at: str) -> str:
        """The reason in the words of `messages`; `at` words the position ("line {line}, ...")."""
        where = at.format(line=self.line, column=self.column) if self.line else ""
        return messages[self.code].format(at=where, **self.params)


def _node_name(node: Node | None) -> str | None:
    """The name of a list item being composed, from a naming key it already has."""
    if not isinstance(node, MappingNode):
        return None
    found = {
        key.value: value.value
        for key, value in node.value
        if isinstance(key, ScalarNode) and isinstance(value, ScalarNode)
    }
    name = next((found[key] for key in _NAMING_KEYS if found.get(key)), None)
    return excerpt(name, SHOWN_LENGTH) if name else None


class _StrictComposer(Composer):
    """PyYAML's composer (fed by libyaml's parser when it is installed) that refuses anchors and
    aliases, keys that are not text or given twice, merge keys, numbers too long to be sane,
    impossible dates, and more values or deeper nesting than MAX_YAML_VALUES / MAX_YAML_NESTING.

    Aliases are what a "billion laughs" file is made of: a few lines that expand to gigabytes.
    The catalogue's files do not need them, so they are refused outright rather than counted.
    """

    _stack: list[tuple[Node | None, Node | int | None]]
    _values: int

    def _refuse(
        self, code: str, mark, *last: str, current: Node | None = None, **params: Any
    ) -> NoReturn:
        """Raise InputRefused with the path to the node being composed (`current`, when it is
        a mapping under construction, names the innermost list item)."""
        path: list[str | Item] = []
        for depth, (_parent, index) in enumerate(self._stack):
            if isinstance(index, ScalarNode):
                path.append(excerpt(index.value, SHOWN_LENGTH))
            elif isinstance(index, int):
                inside = self._stack[depth + 1][0] if depth + 1 < len(self._stack) else current
                path.append(Item(index, _node_name(inside)))
        raise InputRefused(
            code, line=mark.line + 1, column=mark.column + 1, path=(*path, *last), **params
        )

    def compose_node(self, parent: Node | None, index: Node | int | None) -> Node:
        # Called for every value in the file: the usual case costs one test per check. The stack
        # is not unwound when a refusal is raised; the loader is not used again.
        self._stack.append((parent, index))
        event = self.peek_event()
        if event.anchor is not None:  # an alias has one too: the name it refers to
            code = "alias" if isinstance(event, AliasEvent) else "anchor"
            self._refuse(code, event.start_mark, name=excerpt(event.anchor, SHOWN_LENGTH))
        if len(self._stack) > MAX_YAML_NESTING:
            self._refuse("nesting", event.start_mark, limit=MAX_YAML_NESTING)
        self._values += 1
        if self._values > MAX_YAML_VALUES:
            self._refuse("values", event.start_mark, limit=MAX_YAML_VALUES)
        node = super().compose_node(parent, index)
        if node.tag == _INT_TAG and len(node.value) > MAX_NUMBER_DIGITS:
            self._refuse("number", node.start_mark, limit=MAX_NUMBER_DIGITS)
        if node.tag == _TIMESTAMP_TAG:
            try:
                self.construct_yaml_timestamp(node)
            except (ValueError, OverflowError):
                self._refuse("date", node.start_mark, value=excerpt(node.value, SHOWN_LENGTH))
        self._stack.pop()
        return node

    def compose_mapping_node(self, anchor: str | None) -> MappingNode:
        # Composer.compose_mapping_node, with the keys checked as they come.
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(MappingNode, None, start.implicit)
        node = MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        seen: set[str] = set()
        while not self.check_event(MappingEndEvent):
            key = self.compose_node(node, None)
            if type(key) is not ScalarNode or key.tag != _STR_TAG or key.value in seen:
                self._refuse_key(key, node, seen)
            seen.add(key.value)
            node.value.append((key, self.compose_node(node, key)))
        node.end_mark = self.get_event().end_mark
        return node

    def _refuse_key(self, key: Node, mapping: MappingNode, seen: set[str]) -> NoReturn:
        text = excerpt(key.value, SHOWN_LENGTH) if isinstance(key, ScalarNode) else "?"
        if key.tag == _MERGE_TAG:
            self._refuse("merge_key", key.start_mark, text, current=mapping)
        if type(key) is not ScalarNode or key.tag != _STR_TAG:
            kind = _TAG_NAMES.get(key.tag, "something else than text")
            self._refuse("key_type", key.start_mark, text, current=mapping, key=text, type=kind)
        self._refuse("duplicate_key", key.start_mark, text, current=mapping, key=text)


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_StrictComposer, _BaseLoader):
    """The safe loader (libyaml's parser when installed) with _StrictComposer's checks."""

    def __init__(self, stream: str) -> None:
        _BaseLoader.__init__(self, stream)
        self.anchors = {}
        self._stack = []
        self._values = 0


def read_yaml(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """The data in one YAML input file; InputRefused when there is none to return: the file
    cannot be read, is larger than `max_bytes`, empty, not UTF-8, not well-formed YAML, or uses
    what StrictLoader refuses."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)  # never more, whatever the file (or device) holds
    except OSError as exc:
        raise InputRefused("unreadable", reason=exc.strerror or type(exc).__name__) from None
    if len(raw) > max_bytes:
        raise InputRefused("too_large", limit=max_bytes)
    if not raw.strip():
        raise InputRefused("empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputRefused("encoding", position=exc.start + 1) from None
    loader = StrictLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputRefused(
            "malformed",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            problem=excerpt(str(exc.problem or exc.context), 200),
        ) from None
    except yaml.YAMLError as exc:
        raise InputRefused("malformed", problem=excerpt(str(exc), 200)) from None
    finally:
        loader.dispose()
    if data is None:
        raise InputRefused("empty")
    return data


# How the loader words InputRefused; {at} is " at line L, column C" when the position is known.
READ_MESSAGES = {
    "missing": "the file is missing",
    "unreadable": "cannot read the file: {reason}",
    "too_large": "the file is larger than {limit} bytes, more than any fixture file needs",
    "empty": "the file is empty: it holds no data",
    "encoding": "the file is not UTF-8 text (byte {position})",
    "malformed": "malformed YAML{at}: {problem}",
    "alias": "YAML alias *{name}{at}: aliases are not allowed, write the value out in full",
    "anchor": "YAML anchor &{name}{at}: anchors are not allowed, write the value out where it "
    "is used",
    "nesting": "nested more than {limit} levels deep{at}",
    "values": "more than {limit} values in one file{at}",
    "key_type": "the key {key}{at} reads as {type}: keys must be text, put it in quotes",
    "merge_key": "merge key (<<){at}: merge keys are not allowed, write the keys out",
    "duplicate_key": "the key {key} is given twice{at}: the second would silently replace the "
    "first",
    "number": "a number of more than {limit} digits{at}",
    "date": "not a date{at}: {value}",
}
READ_POSITION = " at line {line}, column {column}"

# Lists of named items in the fixture files, and how a problem names an item of them.
_ITEM_LABELS = {
    "interventions": "{name}",
    "sections": "section {name}",
    "guidance": "guidance {name}",
    "laws": "#{number}",
    "paragraphs": "paragraph #{number}",
}


def field_path(path: tuple[str | Item, ...] | list[str | Item]) -> str:
    """("contacts", Item(0, None), "email") -> "contacts[1].email"; "-" for the whole item."""
    text = ""
    for step in path:
        text += f"[{step.index + 1}]" if isinstance(step, Item) else f".{step}" if text else step
    return text or "-"


def _refusal_problem(display: str, exc: InputRefused) -> Problem:
    """A refused file as a Problem: the entry and field the refusal is in, when it has a path."""
    message = exc.describe(READ_MESSAGES, READ_POSITION)
    path = exc.path
    if path and isinstance(path[0], Item):  # a vocabulary file: a list of rows
        return Problem(display, f"#{path[0].index + 1}", field_path(path[1:]), message)
    if len(path) > 1 and path[0] in _ITEM_LABELS and isinstance(path[1], Item):
        item = path[1]
        label = _ITEM_LABELS[path[0]].format(
            name=item.name or f"#{item.index + 1}", number=item.index + 1
        )
        return Problem(display, label, field_path(path[2:]), message)
    return Problem(display, "-", field_path(path), message)


def read_fixtures(fixtures_dir: Path) -> tuple[Fixtures, list[Problem]]:
    problems: list[Problem] = []
    fixtures = Fixtures()
    for name in VOCABULARY_FILES:
        display = f"vocabularies/{name}.yaml"
        path = fixtures_dir / "vocabularies" / f"{name}.yaml"
        if not path.exists():
            problems.append(Problem(display, "-", "-", READ_MESSAGES["missing"]))
            continue
        try:
            data = read_yaml(path)
        except InputRefused as exc:
            problems.append(_refusal_problem(display, exc))
            continue
        expected = dict if name == "legal_paragraphs" else list
        if not isinstance(data, expected):
            problems.append(
                Problem(display, "-", "-", f"expected a {expected.__name__} at the top level")
            )
            continue
        fixtures.vocabularies[name] = data
    for path in sorted((fixtures_dir / "sources").glob("*.yaml")):
        display = f"sources/{path.name}"
        try:
            data = read_yaml(path)
        except InputRefused as exc:
            problems.append(_refusal_problem(display, exc))
            continue
        if not isinstance(data, dict) or not isinstance(data.get("source"), str):
            problems.append(
                Problem(display, "-", "source", "a source file is a mapping with a 'source' key")
            )
            continue
        unknown = set(data) - {"source", "sections", "interventions", "guidance"}
        if unknown:
            problems.append(
                Problem(display, "-", excerpt(", ".join(sorted(unknown))), "unknown top-level key")
            )
        for key in ("sections", "interventions", "guidance"):
            if data.get(key) is not None and not isinstance(data[key], list):
                problems.append(Problem(display, "-", key, "must be a list"))
                data[key] = []
        fixtures.sources.append((display, data))
    return fixtures, problems
