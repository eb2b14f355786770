"""Result cards, rendered once per entry, language and catalogue version, and kept in the cache.

A card looks the same on every list that shows its entry, except for the text under the title: a
search shows the passage that matched, otherwise the start of the summary. So the card is kept
as the markup before and after that text, and the summary's text beside it; a page puts each
card together with its own snippet. Rendering 20 cards through the template engine was a third
of a list page's time; a page whose cards are all kept reads them in one cache lookup and does
not load the entries' places and target groups at all.

Keys carry the catalogue index's stamp (its catalogue version, day and build), so an edit is
never shown stale and nothing needs deleting; entries age out after `CARD_CACHE_SECONDS`. A card
says how old its information is and whether it is stale, which changes with the date: the stamp's
day (an index serves one day only) keeps a card from outliving the day it was rendered for.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, prefetch_related_objects
from django.template.defaultfilters import truncatewords
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from interventions.listing.index import FacetIndex
from interventions.models import Intervention, ServedMunicipality

TEMPLATE = "interventions/includes/_card.html"
TEXT = "\x00card-text\x00"  # where the text goes; no entry's text holds a NUL
SUMMARY_WORDS = 45


def _key(entry: Intervention, stamp: str, language: str) -> str:
    return f"card:{stamp}:{language}:{entry.pk}"


def _render(entry: Intervention) -> tuple[str, str, str]:
    """(markup before the text, after it, the summary's text), from the card template."""
    entry.snippet = mark_safe(TEXT)
    before, after = render_to_string(TEMPLATE, {"intervention": entry}).split(TEXT)
    summary = conditional_escape(truncatewords(entry.summary, SUMMARY_WORDS))
    return before, after, summary


def attach_cards(entries: list[Intervention], index: FacetIndex) -> None:
    """Give each entry its card as `card`, with its `snippet` (if set) or its summary.

    `index`: the request's catalogue index, whose stamp the cards are kept by.

    Cards missing from the cache are rendered, their places (those that run the entry and those
    it serves) and target groups loaded in three queries for all of them, and kept.
    """
    stamp, language = index.stamp, get_language() or settings.LANGUAGE_CODE
    keys = {entry.pk: _key(entry, stamp, language) for entry in entries}
    kept = cache.get_many(keys.values()) if keys else {}
    missing = [entry for entry in entries if keys[entry.pk] not in kept]
    if missing:
        snippets = {entry.pk: getattr(entry, "snippet", "") for entry in missing}
        served = ServedMunicipality.objects.select_related("municipality")
        prefetch_related_objects(
            missing, "municipalities", Prefetch("served", queryset=served), "target_groups"
        )
        fresh = {keys[entry.pk]: _render(entry) for entry in missing}
        for entry in missing:
            entry.snippet = snippets[entry.pk]
        cache.set_many(fresh, timeout=settings.CARD_CACHE_SECONDS)
        kept.update(fresh)
    for entry in entries:
        before, after, summary = kept[keys[entry.pk]]
        text = getattr(entry, "snippet", "") or summary
        entry.card = SafeString(before + text + after)  # each part escaped when rendered
