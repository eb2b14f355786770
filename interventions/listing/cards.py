"""Result cards, rendered once per entry, language and catalogue version, and kept in the cache.

A card looks the same on every list that shows its entry, except for the text under the title (a
search shows the passage that matched, otherwise the start of the summary) and the line that
shows the value a chosen sort order orders by ("Sorteret efter budget: 780.000 kr.").
So the card is kept as the markup before and after that text, with a slot for the sort line, and
the summary's text beside it; a page puts each card together with its own snippet and sort line.
Rendering 20 cards through the template engine was a third of a list page's time; a page whose
cards are all kept reads them in one cache lookup and does not load the entries' places and
target groups at all.

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
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from interventions.listing.index import FacetIndex
from interventions.models import Intervention, ServedMunicipality

TEMPLATE = "interventions/includes/_card.html"
TEXT = "\x00card-text\x00"  # where the text goes; no entry's text holds a NUL
SORT = "\x00card-sort\x00"  # where the sort line goes
SUMMARY_WORDS = 45


def _key(entry: Intervention, stamp: str, language: str) -> str:
    return f"card:{stamp}:{language}:{entry.pk}"


def _render(entry: Intervention) -> tuple[str, str, str]:
    """(markup before the text, after it, the summary's text), from the card template."""
    entry.snippet = mark_safe(TEXT)
    context = {"intervention": entry, "sort_slot": mark_safe(SORT)}
    before, after = render_to_string(TEMPLATE, context).split(TEXT)
    summary = conditional_escape(truncatewords(entry.summary, SUMMARY_WORDS))
    return before, after, summary


def sort_line(entry: Intervention, sort: str | None) -> str:
    """The value the list is sorted by, as a line of the card (escaped HTML); "" when the title
    or the relevance orders (both are the card's own heading and place)."""
    key = (sort or "").lstrip("-")
    if key == "information":
        if entry.information_is_confirmation:
            value = date_format(entry.last_confirmed_on)
        else:
            value = entry.source.published_label
        label = _("Oplysningernes dato")
    elif key == "updated":
        label, value = (
            _("Senest ændret i kataloget"),
            date_format(localtime(entry.updated_at)),
        )
    elif key == "start":
        label, value = _("Startår"), entry.period_start or _("ikke oplyst")
    elif key == "budget":
        label, value = _("Budget"), entry.budget_label or _("ikke oplyst")
    else:
        return ""
    # "Sorteret efter budget: 5.900.000 kr. om året (2016)": why the card stands where it does.
    return format_html(
        '<p class="result-sort">{} {}: {}</p>', _("Sorteret efter"), label.lower(), value
    )


def attach_cards(entries: list[Intervention], index: FacetIndex, sort: str | None = None) -> None:
    """Give each entry its card as `card`, with its `snippet` (if set) or its summary, and the
    value `sort` (the list's sort order, if chosen) orders by.

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
        line = sort_line(entry, sort)
        # Each part is escaped when rendered; the sort line comes before the text.
        entry.card = SafeString(before.replace(SORT, line) + text + after)
