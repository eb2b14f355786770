"""Write the database back into the fixture files, in the style each file was curated in.

The fixture files were written by several curators: some lists are indented, some items are flow
mappings, files open with comments. Rather than re-dump a whole file (and re-style all of it),
the writer patches it: an item whose content is unchanged keeps its exact lines, a changed item
is re-rendered key by key (only the changed keys get new lines), new items are appended to their
list and removed ones dropped. Everything else (comments, top-level keys) stays byte for byte.
Every written file is parsed again and compared with what was meant; a mismatch is an error, so
the writer never leaves a file that would load differently from the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

WIDTH = 100  # the line width the curated files were dumped with
# libyaml's parser when installed (the files are large); it reports the same positions.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FlowDict(dict):
    """A mapping to be written in flow style ({a: 1, b: 2}), as some curated lists are."""


class _Dumper(yaml.SafeDumper):
    """The curated style: block mappings, flow lists of scalars, literal multi-line texts."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _IndentedDumper(_Dumper):
    """The same, with list items indented under their key (`  - slug: ...`)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list):
    flow = all(not isinstance(v, (list, dict)) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, value: dict):
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=False)


def _represent_flow_dict(dumper: yaml.SafeDumper, value: dict):
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)


for _cls in (_Dumper, _IndentedDumper):
    _cls.add_representer(str, _represent_str)
    _cls.add_representer(list, _represent_list)
    _cls.add_representer(dict, _represent_dict)
    _cls.add_representer(_FlowDict, _represent_flow_dict)


def dump(data: Any, indented: bool = False) -> str:
    return yaml.dump(
        data,
        Dumper=_IndentedDumper if indented else _Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=WIDTH,
    )


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


class FixtureWriteError(Exception):
    pass


@dataclass
class Collection:
    """A list of items in a file: under a top-level key (or the root when key is None)."""

    key: str | None
    items: list[dict]  # what the list must hold, in the order new items are appended
    identity: str | tuple[str, ...]  # the field(s) that identify an item

    def ident(self, item: dict) -> Any:
        if isinstance(self.identity, tuple):
            return tuple(str(item.get(f)) for f in self.identity)
        return str(item.get(self.identity))


_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):(?: |$)")


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _tokens_by_line(text: str) -> tuple[set[int], set[int]]:
    """The lines holding YAML anchors and aliases."""
    anchors, aliases = set(), set()
    for token in yaml.scan(text, Loader=_Loader):
        if isinstance(token, yaml.AnchorToken):
            anchors.add(token.start_mark.line)
        elif isinstance(token, yaml.AliasToken):
            aliases.add(token.start_mark.line)
    return anchors, aliases


class _Patcher:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _lines(text)
        self.root = yaml.compose(text, Loader=_Loader) if text.strip() else None
        self.data = yaml.load(text, Loader=_Loader) if text.strip() else None
        self.anchor_lines, self.alias_lines = (
            _tokens_by_line(text) if text.strip() else (set(), set())
        )

    def sequence(self, key: str | None) -> tuple[yaml.Node | None, int]:
        """The sequence node for `key` and the column of the key (-2 for the root)."""
        if key is None:
            return (self.root if isinstance(self.root, yaml.SequenceNode) else None), -2
        if not isinstance(self.root, yaml.MappingNode):
            return None, 0
        for key_node, value_node in self.root.value:
            if key_node.value == key:
                return value_node, key_node.start_mark.column
        return None, 0


def _item_spans(node: yaml.SequenceNode, end_line: int) -> list[tuple[int, int]]:
    starts = [item.start_mark.line for item in node.value]
    return [(s, starts[i + 1] if i + 1 < len(starts) else end_line) for i, s in enumerate(starts)]


def _sequence_end(node: yaml.SequenceNode, lines: list[str]) -> int:
    end = node.end_mark.line + (1 if node.end_mark.column > 0 else 0)
    # Trailing blank and comment lines belong to what follows, not to the last item.
    while end > node.start_mark.line and (
        not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")
    ):
        end -= 1
    return end


def _chunks(item_lines: list[str], key_col: int) -> list[tuple[str, int, list[str]]]:
    """Split a block mapping item into (key, first line offset, lines); "- " is blanked out.

    A key starts at the item's key column; texts, continuation lines and comments are indented
    further (YAML requires it of block texts) and belong to the key above them.
    """
    chunks: list[tuple[str, int, list[str]]] = []
    for i, line in enumerate(item_lines):
        if i == 0:
            line = line[: key_col - 2] + "  " + line[key_col:]
        match = _KEY_LINE.match(line[key_col:]) if not line[:key_col].strip() else None
        if match or not chunks:
            chunks.append((match.group(1) if match else "", i, [line]))
        else:
            chunks[-1][2].append(line)
    return chunks


def _render_item(item: dict, key: str | None, indented: bool, flow: bool) -> list[str]:
    """The lines `item` takes as an element of the list under `key`, in the file's style."""
    value: Any = _FlowDict(item) if flow else item
    if key is None:
        return _lines(dump([value], indented))
    return _lines(dump({key: [value]}, indented))[1:]


def _patch_collection(
    patcher: _Patcher, collection: Collection, expand_aliases: bool
) -> tuple[list[str], int, int, list] | None:
    """(new lines, first line, end line, resulting list) for one collection, or None if absent."""
    node, key_col = patcher.sequence(collection.key)
    if node is None or not isinstance(node, yaml.SequenceNode) or node.flow_style or not node.value:
        return None
    lines = patcher.lines
    end = _sequence_end(node, lines)
    spans = _item_spans(node, end)
    original_items = patcher.data if collection.key is None else patcher.data[collection.key]
    dash_col = node.value[0].start_mark.column - 2
    indented = dash_col > key_col
    wanted = {collection.ident(item): item for item in collection.items}
    out: list[str] = []
    seen = set()
    flows = [item.flow_style for item in node.value]
    for (start, stop), original, item_node in zip(spans, original_items, node.value, strict=True):
        ident = collection.ident(original)
        if ident not in wanted:
            continue  # removed from the database
        seen.add(ident)
        new = wanted[ident]
        span_lines = lines[start:stop]
        touches_alias = any(
            line in patcher.anchor_lines or line in patcher.alias_lines
            for line in range(start, stop)
        )
        if new == original and not (expand_aliases and touches_alias):
            out += span_lines
            continue
        rendered = _render_item(new, collection.key, indented, bool(item_node.flow_style))
        if item_node.flow_style or not isinstance(original, dict):
            out += rendered
            continue
        key_col_item = dash_col + 2
        old_chunks = {key: lines_ for key, _offset, lines_ in _chunks(span_lines, key_col_item)}
        marked = patcher.anchor_lines | patcher.alias_lines if expand_aliases else set()
        alias_keys = {
            key
            for key, offset, lines_ in _chunks(span_lines, key_col_item)
            if any(start + offset + n in marked for n in range(len(lines_)))
        }
        merged: list[str] = []
        for chunk_key, _offset, chunk_lines in _chunks(rendered, key_col_item):
            keep = (
                chunk_key in old_chunks
                and chunk_key in original
                and original[chunk_key] == new.get(chunk_key)
                and chunk_key not in alias_keys
            )
            merged += old_chunks[chunk_key] if keep else chunk_lines
        # Put the "- " back on the item's first line.
        first = merged[0]
        merged[0] = first[:dash_col] + "- " + first[dash_col + 2 :]
        out += merged
    new_items = [item for ident, item in wanted.items() if ident not in seen]
    for item in new_items:
        flow = sum(flows) > len(flows) / 2
        out += _render_item(item, collection.key, indented, flow)
    result = [wanted[collection.ident(o)] for o in original_items if collection.ident(o) in wanted]
    return out, spans[0][0], end, result + new_items


def write(text: str, head: dict[str, Any], collections: list[Collection]) -> str:
    """The file `text` updated so that it holds `head` (top-level scalars) and `collections`.

    `text` may be empty (a new file). Top-level keys other than the collections keep their lines.
    """
    for expand_aliases in (False, True):
        result = _write(text, head, collections, expand_aliases)
        expected = _expected(head, collections)
        try:
            if yaml.load(result, Loader=_Loader) == expected:
                return result
        except yaml.YAMLError:
            pass
    raise FixtureWriteError("the patched file does not read back as the database's content")


def _expected(head: dict[str, Any], collections: list[Collection]) -> Any:
    root = next((c for c in collections if c.key is None), None)
    if root is not None:
        return root.items
    data = dict(head)
    for c in collections:
        data[c.key] = c.items
    return data


def _write(
    text: str, head: dict[str, Any], collections: list[Collection], expand_aliases: bool
) -> str:
    patcher = _Patcher(text)
    lines = list(patcher.lines)
    replacements: list[tuple[int, int, list[str]]] = []
    appended: list[str] = []
    if patcher.data is None:
        return _fresh(head, collections)
    for collection in collections:
        patched = _patch_collection(patcher, collection, expand_aliases)
        if patched is not None:
            new_lines, start, end, result = patched
            collection.items = result  # the order the file now holds
            replacements.append((start, end, new_lines))
            continue
        node, _ = patcher.sequence(collection.key)
        if node is not None:  # an empty or flow-style list: rewrite the key as a whole
            key_line = _key_line(patcher, collection.key)
            end = _sequence_end(node, lines) if node.end_mark.line > key_line else key_line + 1
            rendered = _lines(dump({collection.key: collection.items}, _is_indented(text)))
            replacements.append((key_line, end, rendered))
        elif collection.items:
            appended += _lines(dump({collection.key: collection.items}, _is_indented(text)))
    for start, end, new_lines in sorted(replacements, reverse=True):
        lines[start:end] = new_lines
    if appended and lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines + appended)


def _key_line(patcher: _Patcher, key: str | None) -> int:
    for key_node, _value in patcher.root.value:
        if key_node.value == key:
            return key_node.start_mark.line
    raise FixtureWriteError(f"no key {key!r}")


def _is_indented(text: str) -> bool:
    return bool(re.search(r"^[a-z_]+:\n  - ", text, re.MULTILINE))


def _fresh(head: dict[str, Any], collections: list[Collection]) -> str:
    root = next((c for c in collections if c.key is None), None)
    if root is not None:
        return dump(root.items)
    data = dict(head)
    for c in collections:
        if c.items:
            data[c.key] = c.items
    return dump(data)
