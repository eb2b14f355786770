"""Write the database back into the fixture files (`export_fixtures`), in their own style.

Each entry comes from entry.entry_from_db(); `merge_entry()` fits it onto the entry as it stands
in a file, keeping whatever the database cannot know (the curated order of vocabulary lists, which
side of a "related" pair names the link, a text's trailing newline), so an unchanged entry comes
out identical and a changed one differs only where it changed. yaml_writer.py patches the files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from interventions.curation.entry import entry_from_db, paragraph_label, related_links
from interventions.curation.schema import (
    CONTACT_DEFAULTS,
    CONTACT_KEYS,
    ENTRY_KEYS,
    OPTIONAL_DEFAULTS,
    SET_KEYS,
    aliases_list,
)
from interventions.curation.yaml_writer import Collection, load_yaml, write
from interventions.models import (
    TEXT_SECTIONS,
    Guidance,
    Intervention,
    KKRGoal,
    Law,
    LegalParagraph,
    Method,
    Municipality,
    PolicyArea,
    Region,
    SourceDocument,
    SourceSection,
    TargetGroup,
)


def _merge_text(original: Any, value: str) -> str:
    """The database strips texts; keep the file's trailing newline (`|` rather than `|-`)."""
    if isinstance(original, str) and original.strip() == value:
        return original
    if isinstance(original, str) and original.endswith("\n") and value:
        return value + "\n"
    return value


def _merge_list(original: Any, wanted: list) -> list:
    """Keep the curated order of the values that stay; append new ones in sorted order."""
    original = [v for v in original or [] if v in wanted]
    return original + sorted(v for v in wanted if v not in original)


def _merge_legal_basis(original: Any, wanted: list[dict]) -> list[dict]:
    stated = {b["paragraph"]: b["stated_in_source"] for b in wanted}
    result = []
    for basis in original or []:
        label = paragraph_label(basis.get("paragraph", ""))
        if label in stated:
            flag = stated.pop(label)
            if basis.get("stated_in_source", True) == flag:
                result.append(basis)
            else:
                result.append({**basis, "stated_in_source": flag})
    result += [{"paragraph": label, "stated_in_source": flag} for label, flag in stated.items()]
    return result


def _merge_contacts(original: Any, wanted: list[dict]) -> list[dict]:
    def normal(contact: dict) -> dict:
        return {k: (contact.get(k) or CONTACT_DEFAULTS.get(k, "")) for k in CONTACT_KEYS}

    if [normal(c) for c in original or []] == wanted:
        return original
    # A default kind is not written: the curated contacts leave it out.
    return [
        {k: v for k, v in contact.items() if CONTACT_DEFAULTS.get(k) != v} for contact in wanted
    ]


def _merge_sections(original: Any, wanted: dict[str, str]) -> dict[str, str]:
    original = original or {}
    result = {}
    for section in TEXT_SECTIONS:
        value = wanted.get(section.key, "")
        if value:
            before = original.get(section.key)
            # New texts are written as literal blocks (`|`), as the curated ones are.
            result[section.key] = _merge_text(before, value) if before else value + "\n"
        elif section.key in original and not (original[section.key] or "").strip():
            result[section.key] = original[section.key]
    return result


def merge_entry(
    original: dict[str, Any] | None, wanted: dict[str, Any], links: dict[str, set[str]]
) -> dict[str, Any]:
    """The entry to write: `wanted` (from entry_from_db) fitted onto the file's `original`.

    `links` are the related links the files state now (related_links() over every entry), so a
    link the file states on the partner's side is not repeated on this side.
    """
    original = original or {}
    result: dict[str, Any] = {}
    for key in ENTRY_KEYS:
        value = wanted[key]
        before = original.get(key)
        if key in OPTIONAL_DEFAULTS and key not in original and value == OPTIONAL_DEFAULTS[key]:
            continue
        if key in SET_KEYS:
            value = _merge_list(before, value)
        elif key == "related":
            stated = set(before or [])
            kept = [s for s in before or [] if s in value]
            # A new link is written once, on the side with the smaller slug.
            value = kept + [
                s
                for s in value
                if s not in links.get(wanted["slug"], set()) and s not in stated
                if wanted["slug"] < s
            ]
        elif key == "legal_basis":
            value = _merge_legal_basis(before, value)
        elif key == "contacts":
            value = _merge_contacts(before, value)
        elif key == "sections":
            value = _merge_sections(before, value)
        elif isinstance(value, str):
            value = _merge_text(before, value)
        result[key] = value
    return result


# --- Sections, guidance and source documents --------------------------------------------------


def section_from_db(section: SourceSection) -> dict[str, Any]:
    return {
        "code": section.code,
        "kind": section.kind,
        "name": section.name,
        "parent": section.parent.code if section.parent else None,
        "order": section.order,
    }


def guidance_from_db(item: Guidance) -> dict[str, Any]:
    return {
        "number": item.number,
        "group": item.group,
        "title": item.title,
        "text": item.text,
        "source_lines": [item.source_first_line, item.source_last_line]
        if item.source_first_line is not None
        else None,
    }


def source_from_db(source: SourceDocument) -> dict[str, Any]:
    return {
        "key": source.key,
        "title": source.title,
        "publisher": source.publisher,
        "year": source.year,
        "file": source.file,
        "description": source.description,
        "published": published_value(source),
        "published_basis": source.published_basis,
        "short_name": source.short_name,
        "citation": source.citation,
        "url": source.url,
        "isbn": source.isbn,
    }


def published_value(source: SourceDocument) -> Any:
    """`published` as the file writes it (schema.parse_published() reads it back)."""
    on, precision = source.published_on, source.published_precision
    if precision == "year":
        return str(on.year)
    if precision == "month":
        return f"{on.year}-{on.month:02d}"
    return on


def merge_plain(original: dict[str, Any] | None, wanted: dict[str, Any]) -> dict[str, Any]:
    """Fit a section, guidance item or source document onto the file's version of it."""
    original = original or {}
    result = {}
    for key, value in wanted.items():
        if key not in original and value in ("", None) and original:
            continue
        result[key] = _merge_text(original.get(key), value) if isinstance(value, str) else value
    return result


# --- Writing the fixture files ----------------------------------------------------------------


def _vocabulary_files() -> dict[str, tuple[dict, list[Collection]]]:
    def terms(model) -> list[dict]:
        rows = []
        for t in model.objects.all():
            row = {"slug": t.slug, "name": t.name, "description": t.description}
            if t.aliases:  # curated other names, written only where a term has them
                row["aliases"] = aliases_list(t.aliases)
            rows.append(row)
        return rows

    paragraphs = LegalParagraph.objects.select_related("law")
    return {
        "regions": (
            {},
            [
                Collection(
                    None,
                    [
                        {"code": r.code, "name": r.name, "slug": r.slug}
                        for r in Region.objects.order_by("code")
                    ],
                    "code",
                )
            ],
        ),
        "municipalities": (
            {},
            [
                Collection(
                    None,
                    [
                        {"code": m.code, "name": m.name, "slug": m.slug, "region": m.region.name}
                        for m in Municipality.objects.select_related("region").order_by("code")
                    ],
                    "code",
                )
            ],
        ),
        "target_groups": ({}, [Collection(None, terms(TargetGroup), "slug")]),
        "policy_areas": ({}, [Collection(None, terms(PolicyArea), "slug")]),
        "methods": ({}, [Collection(None, terms(Method), "slug")]),
        "kkr_goals": (
            {},
            [
                Collection(
                    None,
                    [
                        {"slug": g.slug, "area": g.area, "text": g.text, "order": g.order}
                        for g in KKRGoal.objects.all()
                    ],
                    "slug",
                )
            ],
        ),
        "legal_paragraphs": (
            {},
            [
                Collection(
                    "laws",
                    [
                        {
                            "abbreviation": law.abbreviation,
                            "name": law.name,
                            "full_name": law.full_name,
                            "url": law.url,
                        }
                        for law in Law.objects.all()
                    ],
                    "abbreviation",
                ),
                Collection(
                    "paragraphs",
                    [
                        {
                            "law": p.law.abbreviation,
                            "number": p.number,
                            "title": p.title,
                            "url": p.url,
                        }
                        for p in paragraphs
                    ],
                    ("law", "number"),
                ),
            ],
        ),
        "sources": (
            {},
            [Collection(None, [source_from_db(s) for s in SourceDocument.objects.all()], "key")],
        ),
    }


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _fit(collection: Collection, original: list | None) -> Collection:
    """Fit each item of a vocabulary collection onto its version in the file."""
    by_ident = {collection.ident(o): o for o in original or [] if isinstance(o, dict)}
    collection.items = [merge_plain(by_ident.get(collection.ident(i)), i) for i in collection.items]
    return collection


def export_fixtures(directory: Path) -> list[Path]:
    """Write the database into the fixture files under `directory`; the files that changed."""
    changed: list[Path] = []

    def save(path: Path, text: str, new_text: str) -> None:
        if new_text != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new_text, encoding="utf-8")
            changed.append(path)

    for name, (head, collections) in _vocabulary_files().items():
        path = directory / "vocabularies" / f"{name}.yaml"
        text = _read(path)
        data = load_yaml(text) if text.strip() else None
        for c in collections:
            original = data if c.key is None else (data or {}).get(c.key)
            _fit(c, original if isinstance(original, list) else None)
        save(path, text, write(text, head, collections))

    # Where each entry, section and guidance item lives now.
    files: dict[Path, dict] = {}
    for path in sorted((directory / "sources").glob("*.yaml")):
        files[path] = load_yaml(_read(path)) or {}
    originals: dict[tuple[str, str], tuple[Path, dict]] = {}
    for path, data in files.items():
        for kind, field in (
            ("interventions", "slug"),
            ("sections", "code"),
            ("guidance", "number"),
        ):
            for item in data.get(kind) or []:
                originals[(kind, data.get("source"), str(item[field]))] = (path, item)
    links = related_links(
        [item for (kind, *_), (_, item) in originals.items() if kind == "interventions"]
    )

    homes: dict[Path, dict[str, list]] = {}

    def home(kind: str, ident: str, source: SourceDocument) -> tuple[Path, dict | None]:
        found = originals.get((kind, source.key, ident))
        if found:
            return found
        own = [p for p, d in files.items() if d.get("source") == source.key]
        with_kind = [p for p in own if kind in files[p]]
        if with_kind:
            return (with_kind[-1] if kind != "sections" else with_kind[0]), None
        if own:
            return own[-1], None
        prefix = source.file[:3]
        name = f"{prefix}-{source.key}.yaml" if prefix.isdigit() else f"{source.key}.yaml"
        path = directory / "sources" / name
        files[path] = {"source": source.key}
        return path, None

    interventions = (
        Intervention.objects.with_relations().select_related("source").prefetch_related("related")
    )
    for obj in interventions.order_by("source__file", "slug"):
        path, original = home("interventions", obj.slug, obj.source)
        homes.setdefault(path, {}).setdefault("interventions", []).append(
            merge_entry(original, entry_from_db(obj), links)
        )
    for section in SourceSection.objects.select_related("source", "parent"):
        path, original = home("sections", section.code, section.source)
        homes.setdefault(path, {}).setdefault("sections", []).append(
            merge_plain(original, section_from_db(section))
        )
    for item in Guidance.objects.select_related("source"):
        path, original = home("guidance", str(item.number), item.source)
        homes.setdefault(path, {}).setdefault("guidance", []).append(
            merge_plain(original, guidance_from_db(item))
        )

    for path, data in files.items():
        held = homes.get(path, {})
        collections = [
            Collection(kind, held.get(kind, []), field)
            for kind, field in (
                ("sections", "code"),
                ("interventions", "slug"),
                ("guidance", "number"),
            )
            if kind in data or held.get(kind)
        ]
        text = _read(path)
        save(path, text, write(text, {"source": data["source"]}, collections))
    return changed
