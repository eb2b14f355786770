"""Free-text search over interventions: one entry point, the same behaviour on every database.

Each intervention keeps a normalised `search_document` (title, summary, vocabulary names and body
text, lower-cased). A query matches entries that contain every word of the query; a word matches
inside longer words, so Danish compounds are found ("misbrug" finds "misbrugsbehandling").
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from django.db.models import Q

if TYPE_CHECKING:
    from interventions.models import Intervention, InterventionQuerySet

MAX_QUERY_LENGTH = 200
_WORD = re.compile(r"\w+", re.UNICODE)


class InvalidQuery(ValueError):
    """A query the catalogue refuses, with a message fit for the user (Danish)."""


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def query_terms(query: str) -> list[str]:
    """The words of a query; raises InvalidQuery for queries that cannot be searched."""
    query = (query or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidQuery(f"Søgningen er for lang (højst {MAX_QUERY_LENGTH} tegn).")
    terms = _WORD.findall(normalise(query))
    if query and not terms:
        raise InvalidQuery("Søgningen skal indeholde mindst ét bogstav eller tal.")
    return terms


def build_search_document(intervention: Intervention) -> str:
    parts = [intervention.title, *intervention.alternative_titles, intervention.summary]
    parts += [intervention.organisation, intervention.locator]
    parts += [str(m.name) for m in intervention.municipalities.all()]
    parts += [r.name for r in intervention.regions.all()]
    parts += [t.name for t in intervention.target_groups.all()]
    parts += [p.name for p in intervention.policy_areas.all()]
    parts += [m.name for m in intervention.methods.all()]
    parts += [g.text for g in intervention.kkr_goals.all()]
    for basis in intervention.legal_bases.select_related("paragraph__law"):
        paragraph = basis.paragraph
        parts += [paragraph.label, paragraph.law.name, paragraph.title]
    if intervention.source_section_id:
        parts.append(intervention.source_section.name)
    parts += [text for _section, text in intervention.text_sections()]
    return normalise("\n".join(p for p in parts if p))


def search(queryset: InterventionQuerySet, query: str) -> InterventionQuerySet:
    terms = query_terms(query)
    condition = Q()
    for term in terms:
        condition &= Q(search_document__contains=term)
    return queryset.filter(condition)
