"""Build a bench database: the curated catalogue plus synthetic entries up to a size.

Synthetic entries are copies of curated ones (so text lengths, vocabulary and the spread over
target groups, paragraphs and sources are realistic) with a new title and slug, the
municipalities re-drawn from all 98, and about a third of each text section taken from another
curated entry, so words spread the way they do in real text. Inserts are bulk (entries, the M2M
tables, legal bases, contacts); search documents are built by the project's own
`Intervention.refresh_search_document()`, so search works as it does in production.

A database that was built by the same generator, models, search code and fixtures is reused.

    python -m bench.generate --db sqlite --size 10000 [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time

from bench.common import DATA, ROOT, database_url, db_name, setup_django

# Bump when the generator's output changes: databases built by another version are rebuilt.
GENERATOR_VERSION = 3
CHUNK = 2000
SEARCH_TEXTS = ("search_title", "search_meta", "search_document")
M2M = ("municipalities", "regions", "target_groups", "policy_areas", "methods", "kkr_goals")
# What a generated database depends on: the model, how search texts are made, how fixtures load.
FINGERPRINTED = (
    "interventions/models.py",
    "interventions/search/*.py",
    "interventions/curation/*.py",
)


def fingerprint() -> str:
    digest = hashlib.sha256(str(GENERATOR_VERSION).encode())
    paths = [path for pattern in FINGERPRINTED for path in sorted(ROOT.glob(pattern))]
    paths += sorted((ROOT / "interventions" / "migrations").glob("*.py"))
    paths += sorted((ROOT / "fixtures").rglob("*.yaml"))
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def marker_path(db: str, size: int):
    return DATA / f"{db_name(size)}.{db}.json"


def recreate_database(db: str, size: int) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            (DATA / f"{db_name(size)}.sqlite3{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    url = database_url(db, size)
    server = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name(size)}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name(size)}"')


def is_current(db: str, size: int) -> bool:
    path = marker_path(db, size)
    if not path.exists() or json.loads(path.read_text()).get("fingerprint") != fingerprint():
        return False
    try:
        setup_django()
        from interventions.models import Intervention

        return Intervention.objects.count() == max(size, _curated_count())
    except Exception:  # a missing file or database: build it
        return False


def _curated_count() -> int:
    from django.conf import settings

    from interventions.curation.read import read_fixtures

    return len(read_fixtures(settings.FIXTURES_DIR)[0].interventions())


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build(db: str, size: int) -> dict:
    started = time.perf_counter()
    recreate_database(db, size)
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from interventions.curation.load import load
    from interventions.curation.read import read_fixtures

    call_command("migrate", verbosity=0, interactive=False)
    fixtures, problems = read_fixtures(settings.FIXTURES_DIR)
    if problems:
        raise SystemExit("\n".join(map(str, problems)))
    load(fixtures, settings.SEEDS_DIR)
    generated = synthesise(size)
    analyse()
    seconds = time.perf_counter() - started
    marker_path(db, size).write_text(json.dumps({"fingerprint": fingerprint(), "size": size}))
    return {"generated": generated, "seconds": round(seconds, 1)}


def synthesise(size: int) -> int:
    from django.db import transaction

    from interventions.models import (
        TEXT_SECTIONS,
        Contact,
        Intervention,
        LegalBasis,
        Municipality,
        SearchEntry,
    )
    from interventions.search.documents import build_search_texts

    templates = list(
        Intervention.objects.select_related("source_section")
        .prefetch_related(*M2M, "legal_bases__paragraph__law", "contacts")
        .order_by("pk")
    )
    count = max(size - len(templates), 0)
    municipalities = list(Municipality.objects.all())
    rng = random.Random(size)
    text_fields = [s.field for s in TEXT_SECTIONS]
    throughs = {name: getattr(Intervention, name).through for name in M2M}
    columns = {
        name: (
            getattr(Intervention, name).field.m2m_field_name() + "_id",
            getattr(Intervention, name).field.m2m_reverse_field_name() + "_id",
        )
        for name in M2M
    }
    made = 0
    for start in range(0, count, CHUNK):
        entries, plans = [], []
        for number in range(start, min(count, start + CHUNK)):
            template = rng.choice(templates)
            related = {name: list(getattr(template, name).all()) for name in M2M}
            if related["municipalities"]:
                related["municipalities"] = rng.sample(
                    municipalities, k=len(related["municipalities"])
                )
            place = related["municipalities"][0].name if related["municipalities"] else None
            texts = {
                field: getattr(rng.choice(templates) if rng.random() < 0.3 else template, field)
                for field in text_fields
            }
            entries.append(
                Intervention(
                    slug=f"{template.slug[:100]}-b{number}",
                    title=f"{template.title} – {place or rng.choice(PLACES)}",
                    alternative_titles=template.alternative_titles,
                    summary=template.summary,
                    source_id=template.source_id,
                    locator=template.locator,
                    source_section_id=template.source_section_id,
                    sector=template.sector,
                    organisation=f"{place} Kommune"
                    if place and template.sector == Intervention.Sector.KOMMUNAL
                    else template.organisation,
                    period_start=template.period_start,
                    period_end=template.period_end,
                    status=template.status,
                    budget_dkk=int(template.budget_dkk * rng.uniform(0.5, 1.5))
                    if template.budget_dkk is not None
                    else None,
                    budget_note=template.budget_note,
                    funding_source=template.funding_source,
                    evaluation_level=template.evaluation_level,
                    is_published=rng.random() > 0.03,
                    **texts,
                )
            )
            plans.append((template, related))
        with transaction.atomic():
            Intervention.objects.bulk_create(entries, batch_size=500)
            for name in M2M:
                left, right = columns[name]
                throughs[name].objects.bulk_create(
                    [
                        throughs[name](**{left: entry.pk, right: other.pk})
                        for entry, (_template, related) in zip(entries, plans, strict=True)
                        for other in related[name]
                    ],
                    batch_size=2000,
                )
            templates_of = [(entry, plan[0]) for entry, plan in zip(entries, plans, strict=True)]
            _copy_children(LegalBasis, "legal_bases", templates_of)
            _copy_children(Contact, "contacts", templates_of)
            # The project's own builder makes the search texts, from the relations in memory:
            # no query and no UPDATE per entry.
            for entry, (template, related) in zip(entries, plans, strict=True):
                _remember(entry, template, related)
                for name, text in build_search_texts(entry).items():
                    setattr(entry, name, text)
            Intervention.objects.bulk_update(entries, SEARCH_TEXTS, batch_size=200)
            SearchEntry.store(entries)  # and the words, counted (SearchWord)
        made += len(entries)
        log(f"  {made:>7,} / {count:,} generated")
    return made


def _copy_children(model, relation: str, templates_of: list) -> None:
    """Give each new entry copies of its template's legal bases or contacts, in bulk."""
    fields = [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name != "intervention"
    ]
    model.objects.bulk_create(
        [
            model(intervention_id=entry.pk, **{name: getattr(child, name) for name in fields})
            for entry, template in templates_of
            for child in getattr(template, relation).all()
        ],
        batch_size=2000,
    )


def _remember(entry, template, related: dict) -> None:
    """Give a new entry its relations in memory, as prefetch_related would, without querying.

    Its legal bases are the template's (only their paragraphs are read before the insert)."""
    from interventions.models import Intervention

    entry.source_section = template.source_section
    cache = entry._prefetched_objects_cache = {}
    for name, objects in related.items():
        model = getattr(Intervention, name).field.related_model
        queryset = model.objects.all()
        queryset._result_cache, queryset._prefetch_done = list(objects), True
        cache[name] = queryset
    cache["legal_bases"] = template.legal_bases.all()


PLACES = ("Nord", "Syd", "Øst", "Vest", "Centrum", "Land", "By", "Kyst")


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--force", action="store_true", help="rebuild even if current")
    args = parser.parse_args()
    # The database built is the one Django writes to: without this, the default (the
    # development SQLite file) received the entries while the bench database stayed empty.
    os.environ["DATABASE_URL"] = database_url(args.db, args.size)
    if not args.force and is_current(args.db, args.size):
        print(json.dumps({"reused": True}))
        return
    log(f"building {db_name(args.size)} on {args.db} ...")
    print(json.dumps({"reused": False, **build(args.db, args.size)}))


if __name__ == "__main__":
    main()
