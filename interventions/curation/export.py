"""The catalogue as plain data: the export format, shared by export_catalogue and the JSON API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from interventions.models import TEXT_SECTIONS, Guidance, Intervention


def _date(value) -> str | None:
    return value.isoformat() if value else None


def information_basis(obj: Intervention) -> str:
    """What the date of the information rests on: "source" or "confirmation"."""
    return "confirmation" if obj.information_is_confirmation else "source"


def served_data(obj: Intervention) -> list[dict[str, str]]:
    """The municipalities an entry serves (without running it), each with its basis: stated in
    the source, or the editors' inference."""
    return [
        {"slug": s.municipality.slug, "name": s.municipality.name, "basis": s.basis}
        for s in obj.served.all()
    ]


def age_data(obj: Intervention) -> dict[str, Any]:
    """How old the entry's information is, in every export row (ADR 0012); the API's list items
    say the same through their serializer's fields.

    `reviewed_on` is the day the editors checked the entry against its source: never a
    confirmation. The editors' internal note is never public, so it is never here.
    """
    return {
        "information_date": obj.information_date.isoformat(),
        "information_basis": information_basis(obj),
        "confirmed": _date(obj.last_confirmed_on),
        "freshness": obj.freshness.value,
        "reviewed_on": _date(obj.reviewed_on),
        "status_as_stated": obj.status_as_stated,
        "public_note": obj.public_note,
    }


def intervention_data(obj: Intervention, base_url: str = "") -> dict[str, Any]:
    """One intervention in the export format (expects InterventionQuerySet.with_relations())."""
    data: dict[str, Any] = {
        "slug": obj.slug,
        "title": obj.title,
        "alternative_titles": list(obj.alternative_titles),
        "summary": obj.summary,
        "url": f"{base_url}{obj.get_absolute_url()}",
        "source": {
            "key": obj.source.key,
            "title": obj.source.title,
            "publisher": obj.source.publisher,
            "year": obj.source.year,
            "published_on": obj.source.published_on.isoformat(),
            "published_precision": obj.source.published_precision,
            "locator": obj.locator,
            "section": obj.source_section.name if obj.source_section else None,
            "lines": [obj.source_first_line, obj.source_last_line]
            if obj.source_first_line
            else None,
        },
        "sector": obj.sector,
        "organisation": obj.organisation,
        "municipalities": [m.name for m in obj.municipalities.all()],
        "served_municipalities": served_data(obj),
        "regions": [r.name for r in obj.regions.all()],
        "target_groups": [t.name for t in obj.target_groups.all()],
        "policy_areas": [p.name for p in obj.policy_areas.all()],
        "kkr_goals": [g.text for g in obj.kkr_goals.all()],
        "legal_paragraphs": [
            {
                "label": b.paragraph.label,
                "law": b.paragraph.law.name,
                "number": b.paragraph.number,
                "title": b.paragraph.title,
                "url": b.paragraph.link,
                "stated_in_source": b.stated_in_source,
            }
            for b in obj.legal_bases.all()
        ],
        "methods": [m.name for m in obj.methods.all()],
        "contacts": [
            {
                "name": c.name,
                "role": c.role,
                "organisation": c.organisation,
                "email": c.email,
                "phone": c.phone,
            }
            for c in obj.contacts.all()
        ],
        "budget_dkk": obj.budget_dkk,
        "budget_note": obj.budget_note,
        "budget_kind": obj.budget_kind or None,
        "budget_first_year": obj.budget_first_year,
        "budget_last_year": obj.budget_last_year,
        "budget_price_year": obj.budget_price_year,
        "funding_source": obj.funding_source,
        "period_start": obj.period_start,
        "period_end": obj.period_end,
        "status": obj.status,
        "evaluation_level": obj.evaluation_level,
        **age_data(obj),
        # Who confirmed, when and how; the editors' notes on a confirmation stay internal.
        "confirmations": [
            {
                "confirmed_on": c.confirmed_on.isoformat(),
                "confirmed_by": c.confirmed_by,
                "method": c.method,
            }
            for c in obj.confirmations.all()
        ],
        # The owner was asked to confirm and did not answer (ADR 0015): never a confirmation.
        "unanswered_request_on": _date(obj.unanswered_request_on),
        # When the entry last changed in the catalogue: not the date of its information.
        "updated_at": obj.updated_at.isoformat(),
    }
    data["sections"] = {s.key: getattr(obj, s.field) for s in TEXT_SECTIONS}
    return data


def guidance_data(item: Guidance) -> dict[str, Any]:
    return {
        "source": {"key": item.source.key, "title": item.source.title},
        "number": item.number,
        "group": item.group,
        "title": item.title,
        "text": item.text,
    }


def catalogue_data(
    interventions: Iterable[Intervention] | None = None, base_url: str = ""
) -> dict[str, list[dict[str, Any]]]:
    if interventions is None:
        interventions = (
            Intervention.objects.published().with_relations().order_by("source__file", "slug")
        )
    return {
        "interventions": [intervention_data(obj, base_url) for obj in interventions],
        "guidance": [guidance_data(g) for g in Guidance.objects.select_related("source")],
    }
