"""Read, validate and load the curated fixtures (see fixtures/README.md for the format).

`read_fixtures()` parses every file, `validate()` checks everything without touching the
database, and `load()` writes all of it in one transaction. A problem is reported with the file,
the entry and the field it concerns; when there is any, nothing is written.

Input files are not trusted: fixture files arrive in pull requests and intake forms
(interventions/intake.py) from municipalities. `read_yaml()` refuses what the formats never need
and an attacker could use (anchors and aliases, duplicate keys, deep nesting, huge files), and
validation checks every value against the limits the models declare (`field_limits()`), so that
whatever passes `validate()` the database stores.

Loading never silently overwrites an entry an editor changed after it was loaded: such entries
are listed (`EditedEntries`) and nothing is written unless `overwrite=True`. Every entry the
loader writes gets one history record ("Indlæst fra fixtures"), so an overwrite can be undone.
Loads (and intakes) take the catalogue's write lock (`catalogue_transaction()`), so that two at
once run one after the other.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import json
import re
import reprlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

import yaml
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, models, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models.signals import post_save
from django.utils import translation
from yaml.composer import Composer
from yaml.events import AliasEvent, MappingEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode

from interventions.changes import collect_entry_changes, refresh_search_texts
from interventions.fixture_format import (
    CURATED_ON,
    ENTRY_KEYS,
    content_checksum,
    entry_from_db,
    entry_from_fixture,
    related_links,
)
from interventions.models import (
    MAX_YEAR,
    MIN_YEAR,
    TEXT_SECTIONS,
    Contact,
    Guidance,
    Intervention,
    KKRGoal,
    Law,
    LegalBasis,
    LegalParagraph,
    Method,
    Municipality,
    PolicyArea,
    Region,
    SourceDocument,
    SourceSection,
    TargetGroup,
)
from interventions.text import debris_problems, excerpt, forbidden_character

# Change reason on the history records the loader writes.
LOADED_REASON = "Indlæst fra fixtures"

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
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SECTION_KEYS = {s.key: s.field for s in TEXT_SECTIONS}
INTERVENTION_KEYS = set(ENTRY_KEYS)  # the fixture format's keys, in fixture_format.py


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


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    guidance: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged "
            f"interventions; {self.guidance} guidance items"
        )


# --- Reading YAML safely ------------------------------------------------------------------------

# Limits on one input file, far above what the curated files need (the largest is 0.6 MB and
# holds 4,400 values nested 6 deep) and far below what would exhaust memory.
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_YAML_VALUES = 100_000
MAX_YAML_NESTING = 20
MAX_NUMBER_DIGITS = 100
# Values quoted in messages are cut to this many characters.
SHOWN_LENGTH = 60

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


# --- What the database accepts, read from the models --------------------------------------------

# A text column without a length (TextField) still gets a limit: no curated text comes near it
# (the longest section holds 6,100 characters), and a 50 MB "section" is a mistake or an attack.
TEXT_MAX_LENGTH = 20_000
# Texts that are short by nature get a tighter limit.
TEXT_MAX_LENGTHS = {
    "interventions.Intervention.summary": 2_000,  # 1-3 sentences
    "interventions.Intervention.editorial_note": 5_000,
}


@dataclass(frozen=True)
class FieldLimits:
    """What one model field accepts: its kind of value and the limits its column and validators
    set. `kind` is "text", "integer", "boolean", "date", "reference" (a natural key, as text) or
    "references" (a list of them)."""

    field: models.Field
    kind: str
    required: bool
    unique: bool
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    choices: tuple[str, ...] = ()


@functools.cache
def field_limits(model: type[models.Model], name: str) -> FieldLimits:
    """The limits of `model.name`, read from the field itself (never copied into the checks):
    its max_length, the range of its integer column (the same on every database: SQLite would
    store more, PostgreSQL not), its choices, and whether it may be left empty."""
    model_field = model._meta.get_field(name)
    common = {
        "field": model_field,
        "required": not model_field.blank and not model_field.has_default(),
        "unique": model_field.unique,
        "choices": tuple(str(value) for value, _label in model_field.flatchoices),
    }
    if isinstance(model_field, models.ManyToManyField):
        return FieldLimits(kind="references", **common)
    if isinstance(model_field, models.ForeignKey):
        return FieldLimits(kind="reference", **common)
    if isinstance(model_field, models.BooleanField):
        return FieldLimits(kind="boolean", **common)
    if isinstance(model_field, models.DateTimeField):
        raise TypeError(f"no input rule for {model_field!r}")
    if isinstance(model_field, models.DateField):
        return FieldLimits(kind="date", **common)
    if isinstance(model_field, models.IntegerField):
        low, high = BaseDatabaseOperations.integer_field_ranges[model_field.get_internal_type()]
        return FieldLimits(kind="integer", min_value=low, max_value=high, **common)
    if isinstance(model_field, models.CharField | models.TextField):
        label = f"{model._meta.label}.{name}"
        length = model_field.max_length or TEXT_MAX_LENGTHS.get(label, TEXT_MAX_LENGTH)
        return FieldLimits(kind="text", max_length=length, **common)
    raise TypeError(f"no input rule for {model_field!r}")


@dataclass(frozen=True)
class ValueMessages:
    """How `value_problems()` words what it finds: English for curators, Danish for intake."""

    kinds: dict[str, str]  # "text": "must be text", ...; {found} is what the value is instead
    found: dict[type, str]  # list: "a list", ...
    character: str  # {code} {position}
    too_long: str  # {length} {limit}
    out_of_range: str  # {value} {min} {max}
    negative: str  # {value} {max}
    choice: str  # {value} {choices}


ENGLISH = ValueMessages(
    kinds={
        "text": "must be text, not {found}",
        "integer": "must be a whole number, not {found}",
        "boolean": "must be true or false, not {found}",
        "date": "must be a date like 2026-11-22, not {found}",
        "reference": "must be text, not {found}",
        "references": "must be a list of text values, not {found}",
        "reference item": "must list text values, not {found}",
    },
    found={
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number with decimals",
        list: "a list",
        dict: "a mapping",
        datetime.date: "a date",
        datetime.datetime: "a date and time",
        type(None): "null",
    },
    character="holds the control character {code} (character {position}), which no text may hold",
    too_long="is {length} characters long; at most {limit} fit",
    out_of_range="must be a whole number from {min} to {max}, got {value}",
    negative="must be a whole, non-negative number of at most {max}, got {value}",
    choice="must be one of {choices}, got {value}",
)


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


def _found(value: Any, messages: ValueMessages) -> str:
    return messages.found.get(type(value), type(value).__name__)


def _is_kind(value: Any, kind: str) -> bool:
    """Whether `value` is an integer / boolean / date as YAML reads one (true is no number)."""
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


def _character_problem(text: str, messages: ValueMessages) -> str | None:
    found = forbidden_character(text)
    if found is None:
        return None
    position, code = found
    return messages.character.format(code=code, position=position)


def value_problems(value: Any, limits: FieldLimits, messages: ValueMessages = ENGLISH) -> list[str]:
    """Why the database or the field's validators would refuse `value`; [] if they store it.

    `value` is taken as the input file holds it, not converted: a number is not text, true is
    not a number, a list is not a name. None (and "" for text) means "not given"; whether that
    is allowed is the caller's question (FieldLimits.required). Messages from the model's own
    validators come in the active language.
    """
    if value is None:
        return []
    kind = limits.kind
    if kind == "references":
        if not isinstance(value, list):
            return [messages.kinds[kind].format(found=_found(value, messages))]
        for item in value:
            if not isinstance(item, str):
                return [messages.kinds["reference item"].format(found=_found(item, messages))]
            if problem := _character_problem(item, messages):
                return [problem]
        return []
    if kind in ("text", "reference"):
        if not isinstance(value, str):
            return [messages.kinds[kind].format(found=_found(value, messages))]
        if problem := _character_problem(value, messages):
            return [problem]
        if kind == "reference":
            return []
        if len(value) > limits.max_length:
            return [messages.too_long.format(length=len(value), limit=limits.max_length)]
        if limits.choices and value not in limits.choices:
            choices = ", ".join(limits.choices)
            return [messages.choice.format(choices=choices, value=shown(value))]
    elif not _is_kind(value, kind):
        return [messages.kinds[kind].format(found=_found(value, messages))]
    elif kind == "integer" and not limits.min_value <= value <= limits.max_value:
        template = messages.negative if limits.min_value == 0 else messages.out_of_range
        return [template.format(value=shown(value), min=limits.min_value, max=limits.max_value)]
    try:
        limits.field.run_validators(value)
    except ValidationError as exc:
        return list(exc.messages)
    return []


# --- Validation ---------------------------------------------------------------------------------


# Kinds of value for which a null in the input is no "leave it empty": the loader would store
# the null, and the column refuses it.
NOT_NULL_KINDS = ("integer", "boolean", "date")


class _Checker:
    """Collects problems for one file/entry."""

    def __init__(self, problems: list[Problem], file: str, entry: str) -> None:
        self.problems, self.file, self.entry = problems, file, entry

    def add(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.file, self.entry, field_name, message))

    def value(
        self,
        field_name: str,
        value: Any,
        model: type[models.Model],
        model_field: str,
        *,
        prose: bool = False,
        present: bool = False,
    ) -> bool:
        """Check `value` against the model field it is stored in; False when it has a problem.
        `prose` also looks for PDF debris (only in running text: a code "101" is no page number).
        `present`: the key is there, so None is a null the column may not hold, not a default.
        """
        limits = field_limits(model, model_field)
        if value is None and present and not limits.field.null and limits.kind in NOT_NULL_KINDS:
            self.add(field_name, ENGLISH.kinds[limits.kind].format(found="null"))
            return False
        problems = value_problems(value, limits)
        for message in problems:
            self.add(field_name, message)
        if not problems and prose and isinstance(value, str) and value:
            for problem in debris_problems(value.rstrip("\n")):
                self.add(field_name, f"PDF debris: {problem}")
        return not problems

    def record(
        self,
        row: Any,
        model: type[models.Model],
        keys: dict[str, str | None],
        prose: frozenset[str] = frozenset(),
        where: str = "",
    ) -> bool:
        """Check a mapping whose `keys` are stored in `model`'s fields (None: the caller checks
        that key): unknown keys, required ones, and every value. False when it is no mapping."""
        if not isinstance(row, dict):
            self.add(where or "-", f"must be a mapping, not {_found(row, ENGLISH)}")
            return False
        prefix = f"{where}." if where else ""
        for key in sorted(set(row) - set(keys), key=str):
            self.add(prefix + excerpt(str(key), SHOWN_LENGTH), "unknown field")
        for key, model_field in keys.items():
            if model_field is None:
                continue
            value = row.get(key)
            if value is None or value == "" or value == []:
                if field_limits(model, model_field).required:
                    self.add(prefix + key, "is required")
                    continue
                if value is not None:
                    continue
            self.value(
                prefix + key, value, model, model_field, prose=key in prose, present=key in row
            )
        return True

    def year(self, field_name: str, value: Any) -> None:
        if value is None:
            return
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not MIN_YEAR <= value <= MAX_YEAR
        ):
            self.add(
                field_name, f"must be a year between {MIN_YEAR} and {MAX_YEAR}, got {shown(value)}"
            )

    def references(self, field_name: str, values: Any, known: set[str], what: str) -> list[str]:
        """The text values of a list of references, each of which must be in `known`."""
        if not isinstance(values, list):
            return []
        texts = [value for value in values if isinstance(value, str)]
        for value in texts:
            if value not in known:
                self.add(field_name, f"unknown {what}: {shown(value)}")
        if len(set(texts)) != len(texts):
            self.add(field_name, "lists a value twice")
        return texts

    def source_lines(self, value: Any, line_count: int | None, model: type[models.Model]) -> None:
        if value is None:
            return
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
            or value[0] > value[1]
        ):
            self.add("source_lines", f"must be [first, last] line numbers, got {shown(value)}")
        elif line_count is not None and value[1] > line_count:
            self.add(
                "source_lines",
                f"line {value[1]} is past the end of the source ({line_count} lines)",
            )
        else:
            for number in value:
                for message in value_problems(number, field_limits(model, "source_first_line")):
                    self.add("source_lines", message)


def _same(*names: str) -> dict[str, str | None]:
    """Keys stored in model fields of the same name."""
    return {name: name for name in names}


# Each kind of row: the model it is stored in, its keys and their fields, and its prose keys.
VOCABULARY_SCHEMAS: dict[str, tuple[type[models.Model], dict[str, str | None]]] = {
    "regions": (Region, _same("code", "name", "slug")),
    "municipalities": (Municipality, _same("code", "name", "slug", "region")),
    "target_groups": (TargetGroup, _same("slug", "name", "description")),
    "policy_areas": (PolicyArea, _same("slug", "name", "description")),
    "methods": (Method, _same("slug", "name", "description")),
    "kkr_goals": (KKRGoal, _same("slug", "area", "text", "order")),
    "laws": (Law, _same("abbreviation", "name", "full_name", "url")),
    "paragraphs": (LegalParagraph, _same("law", "number", "title", "url")),
    "sources": (SourceDocument, _same("key", "title", "publisher", "year", "file", "description")),
}
VOCABULARY_PROSE = frozenset({"name", "title", "text", "description"})
SECTION_FIELDS = _same("code", "kind", "name", "parent", "order")
GUIDANCE_FIELDS = {**_same("number", "group", "title", "text"), "source_lines": None}
CONTACT_FIELDS = _same("name", "role", "organisation", "email", "phone")
CONTACT_PROSE = frozenset({"name", "role", "organisation"})
INTERVENTION_FIELDS: dict[str, str | None] = {
    **_same(
        "slug",
        "title",
        "summary",
        "locator",
        "source_section",
        "sector",
        "organisation",
        "municipalities",
        "regions",
        "target_groups",
        "policy_areas",
        "kkr_goals",
        "methods",
        "period_start",
        "period_end",
        "status",
        "budget_dkk",
        "budget_note",
        "funding_source",
        "evaluation_level",
        "editorial_note",
        "last_verified",
        "related",
    ),
    "published": "is_published",
    # Checked on their own: a list of titles, two line numbers, and nested rows.
    "alternative_titles": None,
    "source_lines": None,
    "legal_basis": None,
    "sections": None,
    "contacts": None,
}
INTERVENTION_PROSE = frozenset(
    {"title", "summary", "locator", "organisation", "budget_note", "funding_source"}
    | {"editorial_note"}
)


def _seed_line_counts(fixtures: Fixtures, seeds_dir: Path | None) -> dict[str, int | None]:
    """Lines in each source's seed file; None when it is not there (or not a plain file name)."""
    counts: dict[str, int | None] = {}
    for source in fixtures.vocabularies.get("sources", []):
        if not isinstance(source, dict) or not isinstance(source.get("key"), str):
            continue
        name = source.get("file")
        path = None
        if seeds_dir and isinstance(name, str) and name and Path(name).name == name:
            path = seeds_dir / name
        counts[source["key"]] = (
            len(path.read_text(encoding="utf-8").split("\n")) if path and path.is_file() else None
        )
    return counts


def _entry_label(entry: Any, number: int) -> str:
    """How problems name an entry: its slug, or its position in the file."""
    slug = entry.get("slug") if isinstance(entry, dict) else None
    if isinstance(slug, str) and SLUG_RE.match(slug) and len(slug) <= SHOWN_LENGTH * 2:
        return slug
    return f"#{number}"


def _named(item: Any, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    return excerpt(str(value), SHOWN_LENGTH) if isinstance(value, str | int) else "?"


def validate(fixtures: Fixtures, seeds_dir: Path | None = None) -> list[Problem]:
    """Every problem in the fixtures; an empty list means they can be loaded."""
    # Curators read English; the models' validators speak it under this override.
    with translation.override("en"):
        return _validate(fixtures, seeds_dir)


def _validate(fixtures: Fixtures, seeds_dir: Path | None) -> list[Problem]:
    problems: list[Problem] = []
    known = _validate_vocabularies(fixtures.vocabularies, problems)
    line_counts = _seed_line_counts(fixtures, seeds_dir)

    sections_by_source: dict[str, set[str]] = defaultdict(set)
    all_codes: set[str] = set()
    for file, source_key, item in fixtures.sections():
        check = _Checker(problems, file, f"section {_named(item, 'code')}")
        if not check.record(item, SourceSection, SECTION_FIELDS, frozenset({"name"})):
            continue
        code = item.get("code")
        if not isinstance(code, str):
            continue
        if not SLUG_RE.match(code):
            check.add("code", f"must be a slug, got {shown(code)}")
        elif code in all_codes:
            check.add("code", "is used by another section")
        else:
            all_codes.add(code)
            sections_by_source[source_key].add(code)
    for file, source_key, item in fixtures.sections():
        parent = item.get("parent") if isinstance(item, dict) else None
        if isinstance(parent, str) and parent not in sections_by_source[source_key]:
            _Checker(problems, file, f"section {_named(item, 'code')}").add(
                "parent", f"unknown section in this source: {shown(parent)}"
            )

    for file, content in fixtures.sources:
        if content["source"] not in known["sources"]:
            problems.append(
                Problem(file, "-", "source", f"unknown source document: {shown(content['source'])}")
            )

    entries = [
        (file, content["source"], entry, _entry_label(entry, number))
        for file, content in fixtures.sources
        for number, entry in enumerate(content.get("interventions") or [], start=1)
    ]
    slugs: dict[str, str] = {}
    for file, _source, entry, label in entries:
        slug = entry.get("slug") if isinstance(entry, dict) else None
        if isinstance(slug, str):
            if slug in slugs:
                problems.append(
                    Problem(file, label, "slug", f"duplicate slug (also in {slugs[slug]})")
                )
            else:
                slugs[slug] = file
    for file, source_key, entry, label in entries:
        _validate_intervention(
            entry,
            _Checker(problems, file, label),
            known,
            sections_by_source[source_key],
            set(slugs),
            line_counts.get(source_key),
        )

    numbers: dict[str, set[int]] = defaultdict(set)
    for file, source_key, item in fixtures.guidance():
        check = _Checker(problems, file, f"guidance {_named(item, 'number')}")
        if not check.record(item, Guidance, GUIDANCE_FIELDS, frozenset({"title", "text", "group"})):
            continue
        number = item.get("number")
        if not isinstance(number, int) or isinstance(number, bool):
            continue
        if number < 1:
            check.add("number", f"must be a positive whole number, got {shown(number)}")
        elif number in numbers[source_key]:
            check.add("number", "is used twice in this source")
        else:
            numbers[source_key].add(number)
        check.source_lines(item.get("source_lines"), line_counts.get(source_key), Guidance)
    return problems


def _validate_rows(
    name: str, rows: Any, problems: list[Problem], file: str, label: str = "#{number}"
) -> list[dict]:
    """Check the rows of one vocabulary: each against its model, and the model's unique fields
    for values given twice. The rows that are mappings."""
    model, keys = VOCABULARY_SCHEMAS[name]
    if not isinstance(rows, list):
        problems.append(Problem(file, "-", name, "must be a list"))
        return []
    valid = []
    seen: dict[str, Counter] = defaultdict(Counter)
    for number, row in enumerate(rows, start=1):
        check = _Checker(problems, file, label.format(number=number))
        if not check.record(row, model, keys, VOCABULARY_PROSE):
            continue
        valid.append(row)
        for key, model_field in keys.items():
            value = row.get(key)
            if model_field and field_limits(model, model_field).unique and isinstance(value, str):
                seen[key][value] += 1
                if seen[key][value] == 2:
                    check.add(key, f"duplicate {key}: {shown(value)}")
    return valid


def _texts(rows: list[dict], key: str) -> set[str]:
    return {row[key] for row in rows if isinstance(row.get(key), str)}


def _validate_vocabularies(vocab: dict[str, Any], problems: list[Problem]) -> dict[str, set[str]]:
    known: dict[str, set[str]] = {}
    rows: dict[str, list[dict]] = {}
    for name in ("regions", "municipalities", "target_groups", "policy_areas", "methods"):
        rows[name] = _validate_rows(
            name, vocab.get(name, []), problems, f"vocabularies/{name}.yaml"
        )
    rows["kkr_goals"] = _validate_rows(
        "kkr_goals", vocab.get("kkr_goals", []), problems, "vocabularies/kkr_goals.yaml"
    )
    rows["sources"] = _validate_rows(
        "sources", vocab.get("sources", []), problems, "vocabularies/sources.yaml"
    )
    known["regions"] = _texts(rows["regions"], "name")
    known["municipalities"] = _texts(rows["municipalities"], "name")
    for i, row in enumerate(vocab.get("municipalities") or [], start=1):
        region = row.get("region") if isinstance(row, dict) else None
        if isinstance(region, str) and region not in known["regions"]:
            problems.append(
                Problem(
                    "vocabularies/municipalities.yaml",
                    f"#{i}",
                    "region",
                    f"unknown region: {shown(region)}",
                )
            )
    for name in ("target_groups", "policy_areas", "methods", "kkr_goals"):
        known[name] = _texts(rows[name], "slug")
        for i, row in enumerate(vocab.get(name) or [], start=1):
            slug = row.get("slug") if isinstance(row, dict) else None
            if isinstance(slug, str) and not SLUG_RE.match(slug):
                problems.append(
                    Problem(
                        f"vocabularies/{name}.yaml", f"#{i}", "slug", f"not a slug: {shown(slug)}"
                    )
                )

    file = "vocabularies/legal_paragraphs.yaml"
    legal = vocab.get("legal_paragraphs") or {}
    for key in sorted(set(legal) - {"laws", "paragraphs"}, key=str):
        problems.append(Problem(file, "-", excerpt(str(key), SHOWN_LENGTH), "unknown field"))
    laws = _texts(_validate_rows("laws", legal.get("laws") or [], problems, file), "abbreviation")
    labels: set[str] = set()
    paragraphs = legal.get("paragraphs") or []
    _validate_rows("paragraphs", paragraphs, problems, file, "paragraph #{number}")
    for i, row in enumerate(paragraphs if isinstance(paragraphs, list) else [], start=1):
        if not isinstance(row, dict):
            continue
        check = _Checker(problems, file, f"paragraph #{i}")
        law, number = row.get("law"), row.get("number")
        if isinstance(law, str) and law not in laws:
            check.add("law", f"unknown law: {shown(law)}")
        if isinstance(law, str) and isinstance(number, str):
            label = f"{law} § {number}"
            if label in labels:
                check.add("number", f"duplicate paragraph {shown(label)}")
            labels.add(label)
    known["paragraphs"] = labels
    known["sources"] = _texts(rows["sources"], "key")
    for i, row in enumerate(rows["sources"], start=1):
        _Checker(problems, "vocabularies/sources.yaml", f"#{i}").year("year", row.get("year"))
    return known


def _validate_intervention(
    entry: Any,
    check: _Checker,
    known: dict[str, set[str]],
    section_codes: set[str],
    all_slugs: set[str],
    line_count: int | None,
) -> None:
    if not check.record(entry, Intervention, INTERVENTION_FIELDS, INTERVENTION_PROSE):
        return
    slug = entry.get("slug")
    if isinstance(slug, str) and slug and not SLUG_RE.match(slug):
        check.add("slug", f"must be a lower-case ASCII slug, got {shown(slug)}")
    alternative = entry.get("alternative_titles") or []
    if not isinstance(alternative, list) or not all(isinstance(t, str) and t for t in alternative):
        check.add("alternative_titles", "must be a list of titles")
    else:
        for i, title in enumerate(alternative, start=1):
            check.value(f"alternative_titles[{i}]", title, Intervention, "title", prose=True)
    check.source_lines(entry.get("source_lines"), line_count, Intervention)
    section = entry.get("source_section")
    if isinstance(section, str) and section not in section_codes:
        check.add("source_section", f"unknown section in this source: {shown(section)}")
    for key, what in (
        ("municipalities", "municipality"),
        ("regions", "region"),
        ("policy_areas", "policy area"),
        ("kkr_goals", "KKR goal"),
        ("methods", "method"),
    ):
        check.references(key, entry.get(key), known[key], what)
    groups = check.references(
        "target_groups", entry.get("target_groups"), known["target_groups"], "target group"
    )
    if groups and not 1 <= len(groups) <= 4:
        check.add("target_groups", "must list 1-4 target groups")
    related = check.references("related", entry.get("related"), all_slugs, "intervention")
    if isinstance(slug, str) and slug in related:
        check.add("related", "an entry cannot be related to itself")
    _validate_legal_basis(entry.get("legal_basis"), check, known["paragraphs"])
    start, end = entry.get("period_start"), entry.get("period_end")
    if isinstance(start, int) and isinstance(end, int) and start > end:
        check.add("period_end", f"ends ({end}) before it starts ({start})")
    budget = entry.get("budget_dkk")
    if budget is not None and not entry.get("budget_note"):
        check.add("budget_note", "must say what the budget covers")
    sections = entry.get("sections") or {}
    if not isinstance(sections, dict):
        check.add("sections", f"must be a mapping of section names to text, not {shown(sections)}")
    else:
        for key, value in sections.items():
            if key not in SECTION_KEYS:
                check.add(
                    f"sections.{excerpt(str(key), SHOWN_LENGTH)}",
                    f"unknown section; use one of {', '.join(SECTION_KEYS)}",
                )
            else:
                check.value(f"sections.{key}", value, Intervention, SECTION_KEYS[key], prose=True)
    contacts = entry.get("contacts") or []
    if not isinstance(contacts, list):
        check.add("contacts", "must be a list")
        contacts = []
    for i, contact in enumerate(contacts, start=1):
        check.record(contact, Contact, CONTACT_FIELDS, CONTACT_PROSE, where=f"contacts[{i}]")


def _validate_legal_basis(value: Any, check: _Checker, labels: set[str]) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        check.add("legal_basis", "must be a list")
        return
    seen = set()
    for i, basis in enumerate(value, start=1):
        where = f"legal_basis[{i}]"
        if not isinstance(basis, dict) or set(basis) - {"paragraph", "stated_in_source"}:
            check.add(where, "must be {paragraph: 'SEL § 85', stated_in_source: true|false}")
            continue
        check.value(
            f"{where}.stated_in_source",
            basis.get("stated_in_source"),
            LegalBasis,
            "stated_in_source",
            present="stated_in_source" in basis,
        )
        paragraph = basis.get("paragraph")
        if not isinstance(paragraph, str) or forbidden_character(paragraph):
            check.add(where, f"must name a paragraph like 'SEL § 85', got {shown(paragraph)}")
            continue
        try:
            law, number = LegalParagraph.parse_label(paragraph)
        except ValueError:
            check.add(where, f"not a paragraph label like 'SEL § 85': {shown(paragraph)}")
            continue
        label = f"{law} § {number}"
        if label not in labels:
            check.add(where, f"unknown legal paragraph: {label}")
        if label in seen:
            check.add(where, f"{label} is listed twice")
        seen.add(label)


# --- Loading ------------------------------------------------------------------------------------


def checksum(source_key: str, entry: dict) -> str:
    payload = json.dumps(
        {"source": source_key, **entry}, sort_keys=True, ensure_ascii=False, default=str
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# How long a load or intake waits for another one to finish before it gives up.
LOCK_WAIT_SECONDS = 600
# The key of PostgreSQL's advisory lock for "a load is writing the catalogue"; any constant that
# no other code uses.
_PG_LOCK_KEY = 7_001_016


@contextlib.contextmanager
def catalogue_transaction(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """A transaction that holds the catalogue's write lock, for loads and intakes.

    Two loads at once would otherwise both find the same entries changed and both write them,
    history records and all. With the lock the second waits until the first has committed, and
    then finds nothing left to do. PostgreSQL: a transaction-scoped advisory lock, taken before
    anything is read. SQLite: the transaction starts with BEGIN IMMEDIATE, which takes the
    database's write lock at once (a plain BEGIN takes it at the first write, when both loads
    have already read the old state). Raises CatalogueBusy after LOCK_WAIT_SECONDS.

    Inside a transaction that is already open (as in tests) SQLite's lock is that transaction's.
    """
    connection = connections[using]
    with contextlib.ExitStack() as stack:
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            _enter_immediately(stack, connection, using)
        else:
            stack.enter_context(transaction.atomic(using=using))
            if connection.vendor == "postgresql":
                _take_advisory_lock(connection)
        yield


def _enter_immediately(stack: contextlib.ExitStack, connection, using: str) -> None:
    connection.ensure_connection()  # connecting resets transaction_mode from the settings
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT_SECONDS * 1000)}")
    mode, connection.transaction_mode = connection.transaction_mode, "IMMEDIATE"
    try:
        stack.enter_context(transaction.atomic(using=using))
    except OperationalError as exc:
        raise CatalogueBusy(str(exc)) from exc
    finally:
        connection.transaction_mode = mode
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")


def _take_advisory_lock(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous,) = cursor.fetchone()
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true)", [f"{int(LOCK_WAIT_SECONDS * 1000)}ms"]
        )
        try:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        except OperationalError as exc:
            raise CatalogueBusy(str(exc)) from exc
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def load(
    fixtures: Fixtures, seeds_dir: Path | None = None, *, overwrite: bool = False
) -> LoadReport:
    """Validate, then load everything in one transaction (all or nothing).

    Raises EditedEntries, writing nothing, when an entry whose fixture changed was also edited in
    the database since it was loaded; `overwrite=True` loads the fixture over the edit.
    """
    problems = validate(fixtures, seeds_dir)
    if problems:
        raise CatalogueInvalid(problems)
    # Entries' versions and search texts are brought up to date once each, at the end.
    with catalogue_transaction(), collect_entry_changes():
        if not overwrite:
            edited = edited_since_loaded(fixtures)
            if edited:
                raise EditedEntries(edited)
        _load_vocabularies(fixtures.vocabularies)
        return _load_content(fixtures)


def edited_since_loaded(fixtures: Fixtures) -> list[EditedEntry]:
    """Entries the fixtures would change whose content was edited in the database since loading.

    An entry counts as edited when its content differs from what was last loaded (or it was
    created in the admin and never loaded) and the fixture does not already say the same.
    """
    files, digests = {}, {}
    for file, source_key, entry in fixtures.interventions():
        files[entry["slug"]] = (file, entry)
        digests[entry["slug"]] = checksum(source_key, entry)
    candidates = [
        slug
        for slug, stored in Intervention.objects.filter(slug__in=files).values_list(
            "slug", "fixture_checksum"
        )
        if stored != digests[slug]
    ]
    if not candidates:
        return []
    links = related_links([entry for _f, _s, entry in fixtures.interventions()])
    edited = []
    for obj in Intervention.objects.filter(slug__in=candidates).with_relations():
        current = content_checksum(entry_from_db(obj))
        if current == obj.loaded_checksum:
            continue
        file, entry = files[obj.slug]
        if current == content_checksum(entry_from_fixture(entry, links.get(obj.slug, set()))):
            continue  # the fixture already holds the edit (it was exported)
        last = obj.history.select_related("history_user").first()
        edited.append(
            EditedEntry(
                slug=obj.slug,
                file=file,
                changed_at=last.history_date if last else None,
                changed_by=str(last.history_user) if last and last.history_user else "?",
            )
        )
    return sorted(edited, key=lambda e: (e.file, e.slug))


def _upsert(manager, defaults: dict[str, Any], **lookup):
    """update_or_create that writes only when something differs (a reload writes nothing)."""
    obj = manager.filter(**lookup).first()
    if obj is not None and all(getattr(obj, k) == v for k, v in defaults.items()):
        return obj, False
    return manager.update_or_create(defaults=defaults, **lookup)


def _load_vocabularies(vocab: dict[str, Any]) -> None:
    regions = {}
    for row in vocab["regions"]:
        regions[row["name"]], _ = _upsert(
            Region.objects,
            code=str(row["code"]),
            defaults={"name": row["name"], "slug": row["slug"]},
        )
    for row in vocab["municipalities"]:
        _upsert(
            Municipality.objects,
            code=str(row["code"]),
            defaults={"name": row["name"], "slug": row["slug"], "region": regions[row["region"]]},
        )
    for name, model in (
        ("target_groups", TargetGroup),
        ("policy_areas", PolicyArea),
        ("methods", Method),
    ):
        for row in vocab[name]:
            _upsert(
                model.objects,
                slug=row["slug"],
                defaults={"name": row["name"], "description": row.get("description") or ""},
            )
    for i, row in enumerate(vocab["kkr_goals"]):
        _upsert(
            KKRGoal.objects,
            slug=row["slug"],
            defaults={
                "area": row["area"],
                "text": row["text"],
                "order": i if row.get("order") is None else row["order"],
            },
        )
    laws = {}
    for row in vocab["legal_paragraphs"].get("laws", []):
        laws[row["abbreviation"]], _ = _upsert(
            Law.objects,
            abbreviation=row["abbreviation"],
            defaults={
                "name": row["name"],
                "full_name": row["full_name"],
                "url": row.get("url") or "",
            },
        )
    for row in vocab["legal_paragraphs"].get("paragraphs", []):
        paragraph = LegalParagraph.objects.filter(
            law=laws[row["law"]], number=str(row["number"])
        ).first()
        paragraph = paragraph or LegalParagraph(law=laws[row["law"]], number=str(row["number"]))
        wanted = (row["title"], row.get("url") or "")
        if paragraph.pk is None or (paragraph.title, paragraph.url) != wanted:
            paragraph.title, paragraph.url = wanted
            paragraph.save()
    for row in vocab["sources"]:
        _upsert(
            SourceDocument.objects,
            key=row["key"],
            defaults={
                "title": row["title"],
                "publisher": row["publisher"],
                "year": row["year"],
                "file": row.get("file") or "",
                "description": row.get("description") or "",
            },
        )


def _load_content(fixtures: Fixtures) -> LoadReport:
    sources = {s.key: s for s in SourceDocument.objects.all()}
    sections = {}
    for _file, source_key, item in fixtures.sections():
        sections[item["code"]], _ = _upsert(
            SourceSection.objects,
            code=item["code"],
            defaults={
                "source": sources[source_key],
                "kind": item["kind"],
                "name": item["name"],
                "order": item.get("order") or 0,
            },
        )
    for _file, _source_key, item in fixtures.sections():
        parent = sections.get(item.get("parent"))
        if sections[item["code"]].parent_id != (parent.pk if parent else None):
            sections[item["code"]].parent = parent
            sections[item["code"]].save(update_fields=["parent"])

    lookups = {
        "municipalities": {m.name: m for m in Municipality.objects.all()},
        "regions": {r.name: r for r in Region.objects.all()},
        "target_groups": {t.slug: t for t in TargetGroup.objects.all()},
        "policy_areas": {p.slug: p for p in PolicyArea.objects.all()},
        "methods": {m.slug: m for m in Method.objects.all()},
        "kkr_goals": {g.slug: g for g in KKRGoal.objects.all()},
    }
    paragraphs = {p.label: p for p in LegalParagraph.objects.select_related("law")}
    report = LoadReport()
    loaded: dict[str, Intervention] = {}
    written: list[tuple[Intervention, bool]] = []
    existing_by_slug = Intervention.objects.in_bulk(
        [entry["slug"] for _f, _s, entry in fixtures.interventions()], field_name="slug"
    )
    for _file, source_key, entry in fixtures.interventions():
        digest = checksum(source_key, entry)
        existing = existing_by_slug.get(entry["slug"])
        if existing and existing.fixture_checksum == digest:
            report.unchanged += 1
            loaded[entry["slug"]] = existing
            continue
        obj = existing or Intervention(slug=entry["slug"])
        _assign_fields(obj, entry, sources[source_key], sections, digest)
        # One history record per written entry, made below once its links are all in place,
        # rather than one for the save and one for every link set.
        obj.skip_history_when_saving = True
        obj.save()
        for name, table in lookups.items():
            getattr(obj, name).set([table[key] for key in entry.get(name) or []])
        _load_legal_basis(obj, entry.get("legal_basis") or [], paragraphs)
        _load_contacts(obj, entry.get("contacts") or [])
        loaded[entry["slug"]] = obj
        written.append((obj, existing is None))
        if existing:
            report.updated += 1
        else:
            report.created += 1

    # Related entries are symmetric: a link written on either side counts for both.
    partners: dict[str, set[str]] = defaultdict(set)
    for _file, _source_key, entry in fixtures.interventions():
        for other in entry.get("related") or []:
            partners[entry["slug"]].add(other)
            partners[other].add(entry["slug"])
    # Only entries written now are synced: a link an editor added to an entry whose fixture did
    # not change stays. A partner whose links change as a side effect keeps counting as
    # unedited if it was unedited before.
    written_pks = {obj.pk for obj, _ in written}
    before = {obj.pk: set(obj.related.values_list("pk", flat=True)) for obj, _ in written}
    partners_touched = {pk for pks in before.values() for pk in pks} | {
        loaded[s].pk for obj, _ in written for s in partners.get(obj.slug, ())
    }
    clean_partners = _unedited(partners_touched - written_pks)
    for obj, _ in written:
        wanted = {loaded[s].pk for s in partners.get(obj.slug, ())}
        if before[obj.pk] != wanted:
            obj.related.set(wanted)

    # Vocabulary names feed the search text, so refresh it wherever it no longer matches.
    for obj in Intervention.objects.filter(slug__in=loaded).select_related("source_section"):
        refresh_search_texts(obj)

    _record_loaded(written)
    _store_loaded_checksums(Intervention.objects.filter(pk__in=clean_partners))

    for _file, source_key, item in fixtures.guidance():
        lines = item.get("source_lines") or [None, None]
        _upsert(
            Guidance.objects,
            source=sources[source_key],
            number=item["number"],
            defaults={
                "group": item.get("group") or "",
                "title": item["title"],
                "text": item["text"].rstrip("\n"),
                "source_first_line": lines[0],
                "source_last_line": lines[1],
            },
        )
        report.guidance += 1
    return report


def _load_legal_basis(obj: Intervention, wanted: list[dict], paragraphs: dict) -> None:
    """Make the entry's legal basis match the fixture, touching only rows that differ."""
    current = {b.paragraph_id: b for b in obj.legal_bases.all()}
    for basis in wanted:
        paragraph = paragraphs["{} § {}".format(*LegalParagraph.parse_label(basis["paragraph"]))]
        stated = basis.get("stated_in_source", True)
        row = current.pop(paragraph.pk, None) or LegalBasis(intervention=obj, paragraph=paragraph)
        if row.pk is None or row.stated_in_source != stated:
            row.stated_in_source = stated
            row._change_reason = LOADED_REASON
            row.save()
    for row in current.values():
        row._change_reason = LOADED_REASON
        row.delete()


def _load_contacts(obj: Intervention, wanted: list[dict]) -> None:
    """Make the entry's contacts match the fixture, position by position."""
    current = list(obj.contacts.all())
    for i, contact in enumerate(wanted):
        values = {key: contact.get(key) or "" for key in ("role", "organisation", "email", "phone")}
        values.update(name=contact["name"], order=i)
        row = current[i] if i < len(current) else Contact(intervention=obj)
        if row.pk is None or any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row._change_reason = LOADED_REASON
            row.save()
    for row in current[len(wanted) :]:
        row._change_reason = LOADED_REASON
        row.delete()


def _unedited(pks: set[int]) -> set[int]:
    """Those of the entries whose content is still what was last loaded."""
    return {
        obj.pk
        for obj in Intervention.objects.filter(pk__in=pks).with_relations()
        if content_checksum(entry_from_db(obj)) == obj.loaded_checksum
    }


def _store_loaded_checksums(entries) -> None:
    for obj in entries.with_relations():
        Intervention.objects.filter(pk=obj.pk).update(
            loaded_checksum=content_checksum(entry_from_db(obj))
        )


def _record_loaded(written: list[tuple[Intervention, bool]]) -> None:
    """One history record and the content checksum for each entry this load wrote."""
    if not written:
        return
    created = {obj.pk for obj, is_new in written if is_new}
    entries = Intervention.objects.filter(pk__in=[o.pk for o, _ in written])
    for obj in entries:
        obj._change_reason = LOADED_REASON
        # Sent by hand because the save above skipped history until the links were set.
        post_save.send(
            sender=Intervention,
            instance=obj,
            created=obj.pk in created,
            update_fields=None,
            raw=False,
            using=Intervention.objects.db,
        )
    _store_loaded_checksums(entries)


def _assign_fields(
    obj: Intervention, entry: dict, source: SourceDocument, sections: dict, digest: str
) -> None:
    lines = entry.get("source_lines") or [None, None]
    obj.title = entry["title"]
    obj.alternative_titles = entry.get("alternative_titles") or []
    obj.summary = entry["summary"].strip()
    obj.source = source
    obj.locator = entry["locator"]
    obj.source_first_line, obj.source_last_line = lines
    obj.source_section = sections.get(entry.get("source_section"))
    obj.sector = entry["sector"]
    obj.organisation = entry["organisation"]
    obj.period_start = entry.get("period_start")
    obj.period_end = entry.get("period_end")
    obj.status = entry.get("status") or Intervention.Status.UNKNOWN
    obj.budget_dkk = entry.get("budget_dkk")
    obj.budget_note = entry.get("budget_note") or ""
    obj.funding_source = entry.get("funding_source") or ""
    obj.evaluation_level = entry.get("evaluation_level") or Intervention.EvaluationLevel.NONE_KNOWN
    obj.editorial_note = (entry.get("editorial_note") or "").strip()
    obj.is_published = entry.get("published", True)
    obj.last_verified = entry.get("last_verified", CURATED_ON)
    sections_text = entry.get("sections") or {}
    for key, field_name in SECTION_KEYS.items():
        setattr(obj, field_name, (sections_text.get(key) or "").strip())
    obj.fixture_checksum = digest
