"""Load validated fixtures into the database: all of it in one transaction, or nothing.

Loading never silently overwrites an entry an editor changed after it was loaded: such entries
are listed (`EditedEntries`) and nothing is written unless `overwrite=True`. An entry whose
fixture did not change since it was loaded is not written at all, so loading twice changes
nothing; every entry the loader writes gets one history record ("Indlæst fra fixtures"), so an
overwrite can be undone. Both rest on entry.py's one conversion and one checksum. Loads (and
intakes) take the catalogue's write lock (`catalogue_transaction()`), so that two at once run
one after the other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.db.models.signals import post_save

from interventions.changes import collect_entry_changes, refresh_search_texts
from interventions.curation.entry import (
    assign_entry,
    checksum,
    entry_from_db,
    entry_from_fixture,
    related_links,
)
from interventions.curation.problems import (
    CatalogueBusy,
    CatalogueInvalid,
    EditedEntries,
    EditedEntry,
)
from interventions.curation.read import Fixtures
from interventions.curation.schema import aliases_text, parse_published
from interventions.curation.validate import validate
from interventions.models import (
    Confirmation,
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
    ServedMunicipality,
    SourceDocument,
    SourceSection,
    TargetGroup,
    refresh_last_confirmed,
)

# Change reason on the history records the loader writes.
LOADED_REASON = "Indlæst fra fixtures"


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
    files = {entry["slug"]: file for file, _source_key, entry in fixtures.interventions()}
    digests = {slug: checksum(entry) for slug, entry in _canonical_entries(fixtures).items()}
    candidates = [
        slug
        for slug, stored in Intervention.objects.filter(slug__in=files).values_list(
            "slug", "loaded_checksum"
        )
        if stored != digests[slug]
    ]
    if not candidates:
        return []
    edited = []
    for obj in Intervention.objects.filter(slug__in=candidates).with_relations():
        current = checksum(entry_from_db(obj))
        if current in (obj.loaded_checksum, digests[obj.slug]):
            continue  # not edited since it was loaded, or the fixture holds the edit (exported)
        file = files[obj.slug]
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


def _canonical_entries(fixtures: Fixtures) -> dict[str, dict[str, Any]]:
    """Each fixture entry by slug as entry_from_fixture() gives it: what it would be once loaded."""
    entries = [entry for _file, _source_key, entry in fixtures.interventions()]
    links = related_links(entries)
    return {
        entry["slug"]: entry_from_fixture(entry, links.get(entry["slug"], set()))
        for entry in entries
    }


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
                defaults={
                    "name": row["name"],
                    "description": row.get("description") or "",
                    "aliases": aliases_text(row.get("aliases")),
                },
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
        published_on, precision = parse_published(row["published"])
        _upsert(
            SourceDocument.objects,
            key=row["key"],
            defaults={
                "title": row["title"],
                "publisher": row["publisher"],
                "year": row["year"],
                "file": row.get("file") or "",
                "description": row.get("description") or "",
                "published_on": published_on,
                "published_precision": precision,
                "published_basis": row.get("published_basis") or "",
                "short_name": row["short_name"],
                "citation": row.get("citation") or "",
                "url": row.get("url") or "",
                "isbn": row.get("isbn") or "",
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
    canonical = _canonical_entries(fixtures)
    for _file, source_key, entry in fixtures.interventions():
        wanted = canonical[entry["slug"]]
        existing = existing_by_slug.get(entry["slug"])
        # The source is the file's, not the entry's: an entry that moves to another source's
        # file with the same content is written too.
        if (
            existing
            and existing.loaded_checksum == checksum(wanted)
            and existing.source_id == sources[source_key].pk
        ):
            report.unchanged += 1
            loaded[entry["slug"]] = existing
            continue
        obj = existing or Intervention(slug=entry["slug"])
        assign_entry(obj, wanted, source=sources[source_key], sections=sections)
        # One history record per written entry, made below once its links are all in place,
        # rather than one for the save and one for every link set.
        obj.skip_history_when_saving = True
        obj.save()
        for name, table in lookups.items():
            getattr(obj, name).set([table[key] for key in wanted[name]])
        _load_legal_basis(obj, wanted["legal_basis"], paragraphs)
        _load_contacts(obj, wanted["contacts"])
        _load_served(obj, wanted["served_municipalities"], lookups["municipalities"])
        _load_confirmations(obj, wanted["confirmations"])
        loaded[entry["slug"]] = obj
        written.append((obj, existing is None))
        if existing:
            report.updated += 1
        else:
            report.created += 1

    # Related entries are symmetric: a link written on either side counts for both.
    partners = {slug: set(entry["related"]) for slug, entry in canonical.items()}
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
        linked = {loaded[s].pk for s in partners.get(obj.slug, ())}
        if before[obj.pk] != linked:
            obj.related.set(linked)

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
    """Make the entry's legal basis match `wanted` (entry_from_fixture()'s), touching only rows
    that differ."""
    current = {b.paragraph_id: b for b in obj.legal_bases.all()}
    for basis in wanted:
        paragraph = paragraphs[basis["paragraph"]]  # a label as entry.paragraph_label() writes it
        stated = basis["stated_in_source"]
        row = current.pop(paragraph.pk, None) or LegalBasis(intervention=obj, paragraph=paragraph)
        if row.pk is None or row.stated_in_source != stated:
            row.stated_in_source = stated
            row._change_reason = LOADED_REASON
            row.save()
    for row in current.values():
        row._change_reason = LOADED_REASON
        row.delete()


def _sync_in_order(current: list, wanted: list[dict], new_row) -> None:
    """Make the rows `current` hold the values `wanted` lists, position by position, touching
    only rows that differ; rows beyond `wanted` go. `new_row()` makes a missing one."""
    for i, values in enumerate(wanted):
        row = current[i] if i < len(current) else new_row()
        if row.pk is None or any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row._change_reason = LOADED_REASON
            row.save()
    for row in current[len(wanted) :]:
        row._change_reason = LOADED_REASON
        row.delete()


def _load_contacts(obj: Intervention, wanted: list[dict]) -> None:
    """Make the entry's contacts match `wanted` (entry_from_fixture()'s), in their order."""
    _sync_in_order(
        list(obj.contacts.all()),
        [{**contact, "order": i} for i, contact in enumerate(wanted)],
        lambda: Contact(intervention=obj),
    )


def _load_served(obj: Intervention, wanted: list[dict], municipalities: dict) -> None:
    """Make the municipalities the entry serves match `wanted`, touching only rows that differ."""
    current = {row.municipality_id: row for row in obj.served.all()}
    for item in wanted:
        municipality = municipalities[item["municipality"]]
        first, last = item["source_lines"] or (None, None)
        values = {"basis": item["basis"], "note": item["note"]}
        values |= {"source_first_line": first, "source_last_line": last}
        row = current.pop(municipality.pk, None) or ServedMunicipality(
            intervention=obj, municipality=municipality
        )
        if row.pk is None or any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row._change_reason = LOADED_REASON
            row.save()
    for row in current.values():
        row._change_reason = LOADED_REASON
        row.delete()


def _load_confirmations(obj: Intervention, wanted: list[dict]) -> None:
    """Make the entry's confirmations match `wanted` (oldest first), then its latest date."""
    _sync_in_order(
        list(obj.confirmations.order_by("confirmed_on", "confirmed_by", "method", "pk")),
        wanted,
        lambda: Confirmation(intervention=obj),
    )
    refresh_last_confirmed([obj.pk])


def _unedited(pks: set[int]) -> set[int]:
    """Those of the entries whose content is still what was last loaded."""
    return {
        obj.pk
        for obj in Intervention.objects.filter(pk__in=pks).with_relations()
        if checksum(entry_from_db(obj)) == obj.loaded_checksum
    }


def _store_loaded_checksums(entries) -> None:
    for obj in entries.with_relations():
        Intervention.objects.filter(pk=obj.pk).update(loaded_checksum=checksum(entry_from_db(obj)))


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
