"""The catalogue as plain data: the export format, shared by export_catalogue and the JSON API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from interventions.models import TEXT_SECTIONS, Guidance, Intervention


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
            "locator": obj.locator,
            "section": obj.source_section.name if obj.source_section else None,
            "lines": [obj.source_first_line, obj.source_last_line]
            if obj.source_first_line
            else None,
        },
        "sector": obj.sector,
        "organisation": obj.organisation,
        "municipalities": [m.name for m in obj.municipalities.all()],
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
        "funding_source": obj.funding_source,
        "period_start": obj.period_start,
        "period_end": obj.period_end,
        "status": obj.status,
        "evaluation_level": obj.evaluation_level,
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
