"""One entry<->dict conversion and one checksum.

An entry as a dict is what a fixture file holds for it (fixtures/README.md), in a canonical form:
texts stripped, defaults filled in, vocabulary lists sorted, legal paragraphs as "SEL § 85".
`entry_from_fixture()` makes it from a file's entry, `entry_from_db()` from the database, and
`assign_entry()` writes it onto an Intervention (the loader). The loader, the check for entries
edited since they were loaded and the write-back all go through these three, so `checksum()`
of the same content is the same wherever it came from: the loader compares a fixture's checksum
with the one stored when the entry was last loaded (`Intervention.loaded_checksum`) to skip
entries whose fixture did not change, and the entry's current checksum with it to tell whether
an editor changed the entry since.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from interventions.curation.schema import (
    CONFIRMATION_KEYS,
    CONTACT_DEFAULTS,
    CONTACT_KEYS,
    SET_KEYS,
)
from interventions.models import (
    TEXT_SECTIONS,
    Intervention,
    LegalParagraph,
    SourceDocument,
    SourceSection,
)


def paragraph_label(label: str) -> str:
    """A legal paragraph as "SEL § 85", however it was written; unchanged when it is none."""
    try:
        return "{} § {}".format(*LegalParagraph.parse_label(label))
    except ValueError:
        return label


def entry_from_db(obj: Intervention) -> dict[str, Any]:
    """An intervention as a fixture entry; expects InterventionQuerySet.with_relations()."""
    return {
        "slug": obj.slug,
        "title": obj.title,
        "alternative_titles": list(obj.alternative_titles),
        "summary": obj.summary,
        "locator": obj.locator,
        "source_lines": [obj.source_first_line, obj.source_last_line]
        if obj.source_first_line is not None
        else None,
        "source_section": obj.source_section.code if obj.source_section else None,
        "sector": obj.sector,
        "organisation": obj.organisation,
        "municipalities": sorted(m.name for m in obj.municipalities.all()),
        "regions": sorted(r.name for r in obj.regions.all()),
        "served_municipalities": sorted(
            (
                {
                    "municipality": s.municipality.name,
                    "basis": s.basis,
                    "source_lines": [s.source_first_line, s.source_last_line]
                    if s.source_first_line is not None
                    else None,
                    "note": s.note,
                }
                for s in obj.served.all()
            ),
            key=lambda s: s["municipality"],
        ),
        "target_groups": sorted(t.slug for t in obj.target_groups.all()),
        "policy_areas": sorted(p.slug for p in obj.policy_areas.all()),
        "kkr_goals": sorted(g.slug for g in obj.kkr_goals.all()),
        "legal_basis": [
            {"paragraph": b.paragraph.label, "stated_in_source": b.stated_in_source}
            for b in obj.legal_bases.all()
        ],
        "methods": sorted(m.slug for m in obj.methods.all()),
        "period_start": obj.period_start,
        "period_end": obj.period_end,
        "status": obj.status,
        "budget_dkk": obj.budget_dkk,
        "budget_note": obj.budget_note,
        "budget_kind": obj.budget_kind,
        "budget_first_year": obj.budget_first_year,
        "budget_last_year": obj.budget_last_year,
        "budget_price_year": obj.budget_price_year,
        "funding_source": obj.funding_source,
        "evaluation_level": obj.evaluation_level,
        "editorial_note": obj.editorial_note,
        "public_note": obj.public_note,
        "published": obj.is_published,
        "reviewed_on": obj.reviewed_on,
        "related": sorted(r.slug for r in obj.related.all()),
        "sections": {s.key: getattr(obj, s.field) for s in TEXT_SECTIONS},
        "contacts": [{k: getattr(c, k) for k in CONTACT_KEYS} for c in obj.contacts.all()],
        "confirmations": _confirmations_in_order(
            {k: getattr(c, k) for k in CONFIRMATION_KEYS} for c in obj.confirmations.all()
        ),
    }


def entry_from_fixture(entry: dict[str, Any], related: set[str]) -> dict[str, Any]:
    """What entry_from_db() gives for this fixture entry once loaded (`related`: all partners).

    Mirrors the loader: texts stripped, defaults filled in, vocabulary lists as sets.
    """
    lines = entry.get("source_lines")
    sections = entry.get("sections") or {}
    return {
        "slug": entry["slug"],
        "title": entry["title"],
        "alternative_titles": list(entry.get("alternative_titles") or []),
        "summary": entry["summary"].strip(),
        "locator": entry["locator"],
        "source_lines": list(lines) if lines else None,
        "source_section": entry.get("source_section"),
        "sector": entry["sector"],
        "organisation": entry["organisation"],
        **{key: sorted(entry.get(key) or []) for key in SET_KEYS},
        "served_municipalities": sorted(
            (
                {
                    "municipality": s["municipality"],
                    "basis": s.get("basis") or "source",
                    "source_lines": list(s["source_lines"]) if s.get("source_lines") else None,
                    "note": (s.get("note") or "").strip(),
                }
                for s in entry.get("served_municipalities") or []
            ),
            key=lambda s: s["municipality"],
        ),
        "legal_basis": [
            {
                "paragraph": paragraph_label(b["paragraph"]),
                "stated_in_source": b.get("stated_in_source", True),
            }
            for b in entry.get("legal_basis") or []
        ],
        "period_start": entry.get("period_start"),
        "period_end": entry.get("period_end"),
        "status": entry.get("status") or Intervention.Status.UNKNOWN,
        "budget_dkk": entry.get("budget_dkk"),
        "budget_note": entry.get("budget_note") or "",
        "budget_kind": entry.get("budget_kind") or "",
        "budget_first_year": entry.get("budget_first_year"),
        "budget_last_year": entry.get("budget_last_year"),
        "budget_price_year": entry.get("budget_price_year"),
        "funding_source": entry.get("funding_source") or "",
        "evaluation_level": entry.get("evaluation_level") or "none_known",
        "editorial_note": (entry.get("editorial_note") or "").strip(),
        "public_note": (entry.get("public_note") or "").strip(),
        "published": entry.get("published", True),
        "reviewed_on": entry.get("reviewed_on"),
        "related": sorted(related),
        "sections": {s.key: (sections.get(s.key) or "").strip() for s in TEXT_SECTIONS},
        "contacts": [
            {k: c.get(k) or CONTACT_DEFAULTS.get(k, "") for k in CONTACT_KEYS}
            for c in entry.get("contacts") or []
        ],
        "confirmations": _confirmations_in_order(
            {
                "confirmed_on": c["confirmed_on"],
                "confirmed_by": c["confirmed_by"].strip(),
                "method": c["method"],
                "note": (c.get("note") or "").strip(),
            }
            for c in entry.get("confirmations") or []
        ),
    }


def _confirmations_in_order(confirmations) -> list[dict[str, Any]]:
    """Oldest first, as a file lists them (a history is appended to)."""
    return sorted(confirmations, key=lambda c: (c["confirmed_on"], c["confirmed_by"], c["method"]))


def checksum(entry: dict[str, Any]) -> str:
    """A fingerprint of an entry's content (from entry_from_db or entry_from_fixture)."""
    canonical = {
        **entry,
        "legal_basis": sorted(entry["legal_basis"], key=lambda b: b["paragraph"]),
    }
    payload = json.dumps(canonical, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def related_links(entries: list[dict]) -> dict[str, set[str]]:
    """Each slug's partners: a link written on either side counts for both (as the loader)."""
    links: dict[str, set[str]] = {}
    for entry in entries:
        for other in entry.get("related") or []:
            links.setdefault(entry["slug"], set()).add(other)
            links.setdefault(other, set()).add(entry["slug"])
    return links


def assign_entry(
    obj: Intervention,
    entry: dict[str, Any],
    *,
    source: SourceDocument,
    sections: dict[str, SourceSection],
) -> None:
    """Set the entry's own fields from `entry` (from entry_from_fixture()); the links, legal
    basis and contacts are rows of their own, which the loader writes once the entry is saved.
    `sections`: the source's sections by code."""
    lines = entry["source_lines"] or [None, None]
    obj.title = entry["title"]
    obj.alternative_titles = entry["alternative_titles"]
    obj.summary = entry["summary"]
    obj.source = source
    obj.locator = entry["locator"]
    obj.source_first_line, obj.source_last_line = lines
    obj.source_section = sections.get(entry["source_section"])
    obj.sector = entry["sector"]
    obj.organisation = entry["organisation"]
    obj.period_start = entry["period_start"]
    obj.period_end = entry["period_end"]
    obj.status = entry["status"]
    obj.budget_dkk = entry["budget_dkk"]
    obj.budget_note = entry["budget_note"]
    obj.budget_kind = entry["budget_kind"]
    obj.budget_first_year = entry["budget_first_year"]
    obj.budget_last_year = entry["budget_last_year"]
    obj.budget_price_year = entry["budget_price_year"]
    obj.funding_source = entry["funding_source"]
    obj.evaluation_level = entry["evaluation_level"]
    obj.editorial_note = entry["editorial_note"]
    obj.public_note = entry["public_note"]
    obj.is_published = entry["published"]
    obj.reviewed_on = entry["reviewed_on"]
    for section in TEXT_SECTIONS:
        setattr(obj, section.field, entry["sections"][section.key])
