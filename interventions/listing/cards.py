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

Each process also keeps the last `CARDS_KEPT` cards it read or rendered, by the same key, in front
of the shared cache: a card never changes under its key, and reading 20 from the local-memory
cache (a key check and an unpickling each) was some 6% of a list request. The stamp's build time
makes every index's keys new, so a rebuilt index (an edit, a new day) never reads an old card;
the old ones are pushed out as new ones come.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

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
# Cards kept in each process: the markup before and after the text and the summary, some 2-4 kB
# together, so at most ~8 MB; a catalogue of 186 entries needs 372 for two languages.
CARDS_KEPT = 2048

Card = tuple[str, str, str]


class _KeptCards:
    """The last `size` cards read or rendered in this process, by key (least recently used out)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._cards: OrderedDict[str, Card] = OrderedDict()

    def get_many(self, keys: list[str]) -> dict[str, Card]:
        found = {}
        with self._lock:
            for key in keys:
                card = self._cards.get(key)
                if card is not None:
                    self._cards.move_to_end(key)
                    found[key] = card
        return found

    def set_many(self, cards: dict[str, Card]) -> None:
        with self._lock:
            self._cards.update(cards)
            for key in cards:
                self._cards.move_to_end(key)
            while len(self._cards) > self.size:
                self._cards.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._cards.clear()

    def __len__(self) -> int:
        return len(self._cards)


kept_cards = _KeptCards(CARDS_KEPT)


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
    kept = kept_cards.get_many(list(keys.values()))
    if len(kept) < len(keys):
        shared = cache.get_many([key for key in keys.values() if key not in kept])
        kept_cards.set_many(shared)
        kept.update(shared)
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
        kept_cards.set_many(fresh)
        kept.update(fresh)
    for entry in entries:
        before, after, summary = kept[keys[entry.pk]]
        text = getattr(entry, "snippet", "") or summary
        line = sort_line(entry, sort)
        # Each part is escaped when rendered; the sort line comes before the text.
        entry.card = SafeString(before.replace(SORT, line) + text + after)
