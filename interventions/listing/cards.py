"""Result cards, rendered once per entry, language and catalogue version, and kept in the cache.

A card looks the same on every list that shows its entry, except for the text under the title (a
search shows the passage that matched, otherwise the start of the summary) and the line that
shows the value a chosen sort order orders by ("Sorteret efter budget: 780.000 kr.").
So the card is kept as the markup before and after that text, with a slot for the sort line, and
the summary's text beside it; a page puts each card together with its own snippet and sort line.
Rendering 20 cards through the template engine was a third of a list page's time; a page whose
cards are all kept reads them in one cache lookup and does not load the entries' places and
target groups at all. A card not kept is written in Python (`card_markup`), from its places' and
target groups' names alone: a new search at 100,000 entries finds most of its cards not kept.

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

import re
import threading
from collections import OrderedDict
from functools import lru_cache
from html import escape as _escape

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import connection
from django.template.defaultfilters import truncatewords
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from interventions.listing.index import FacetIndex
from interventions.models import Intervention, ServedMunicipality

SORT = "\x00card-sort\x00"  # where the sort line goes
SUMMARY_WORDS = 45
# Cards kept in each process: the markup before and after the text and the summary, some 2-4 kB
# together, so at most ~8 MB; a catalogue of 186 entries needs 372 for two languages.
CARDS_KEPT = 2048

Card = tuple[str, str, str]
# The names of the municipalities that run an entry, those it serves and its target groups.
_Places = tuple[list[str], list[str], list[str]]


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


def escape(value: object) -> str:
    """`value` as text, HTML-escaped as the template engine's autoescape escapes it."""
    return _escape(str(value))


def _key(entry: Intervention, stamp: str, language: str) -> str:
    return f"card:{stamp}:{language}:{entry.pk}"


def _render(entry: Intervention, places: _Places) -> Card:
    """(markup before the text, after it, the summary's text)."""
    before, after = card_markup(entry, *places)
    summary = escape(truncatewords(entry.summary, SUMMARY_WORDS))
    return before, after, summary


@lru_cache(maxsize=8)
def _words(language: str | None) -> dict[str, str]:
    """The card's own words in `language` (the active one), translated once per language and
    process (a translation is a few microseconds, and a card has seven)."""
    return {
        "owner": _("Ejer"),
        "serves": _("Betjener"),
        "confirmed": _("Bekræftet %(date)s"),
        "from": _("Oplysninger fra %(date)s"),
        "stale": _("Over to år gamle oplysninger"),
        "period": _("Periode"),
        "budget": _("Budget"),
        "compare": _("Sammenlign"),
        "groups": _("Målgrupper"),
    }


# A slug of these characters is its own URL path segment (`reverse` quotes nothing of it).
_PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]+\Z")
_SLUG_SLOT = "card-slug-slot"
_detail_urls: dict[tuple, tuple[str, str]] = {}


def _url(entry: Intervention) -> str:
    """`entry.get_absolute_url()`, without resolving the URL patterns for every card (~45 us
    each): the detail URL around its slug, reversed once per language and prefix."""
    if not _PLAIN_SLUG.match(entry.slug):
        return entry.get_absolute_url()
    key = (get_language(), get_script_prefix(), get_urlconf())
    around = _detail_urls.get(key)
    if around is None:
        url = reverse("interventions:detail", kwargs={"slug": _SLUG_SLOT})
        start, _slot, end = url.partition(_SLUG_SLOT)
        around = _detail_urls[key] = (start, end)
    return around[0] + entry.slug + around[1]


def _forget_words_and_urls(**kwargs) -> None:
    """A changed setting (tests override the URLs, languages and translations) is read anew."""
    _words.cache_clear()
    _detail_urls.clear()


setting_changed.connect(_forget_words_and_urls)


def card_markup(
    entry: Intervention,
    municipalities: list[str],
    served: list[str],
    target_groups: list[str],
) -> tuple[str, str]:
    """The card's markup before its text and after it, with `SORT` where the sort line goes.

    `municipalities` (those that run the entry), `served` (those it serves) and `target_groups`:
    the names, in name order. Written in Python, not through a template: the template engine
    took ~0.6-1.5 ms a card (resolving some 40 variables and tags), and a new search at 100,000
    entries renders most of its 20 cards (ADR 0011, ninth round). Every value is escaped as
    the template's autoescape escaped it; the translations are not (a template's literals are
    safe), nor the values inside the age's translation twice.
    """
    language = get_language()
    words = _words(language)
    # The entry's own text is Danish: marked so only on a page in another language, whose
    # `<html lang>` says otherwise (on a Danish page the mark repeats what the page says).
    da = "" if language == "da" else ' lang="da"'
    title = escape(entry.title)
    slug = escape(entry.slug)
    meta = ""
    if municipalities:
        meta += " · " + ", ".join(map(escape, municipalities))
    if served:
        meta += f" · {words['serves']} " + ", ".join(map(escape, served))
    if entry.information_is_confirmation:
        date = date_format(entry.last_confirmed_on, "F Y")
        age = words["confirmed"] % {"date": escape(date)}
    else:
        age = words["from"] % {"date": escape(entry.source.published_label)}
    age = f'<span class="result-age">{age}</span>'
    if entry.is_stale:
        age += f' <strong class="result-stale">{words["stale"]}</strong>'
    period, has_budget = entry.period_label, entry.budget_dkk is not None
    facts = ""
    if period or has_budget:
        facts = '<p class="result-facts">'
        if period:
            facts += f"<span>{words['period']}: {escape(period)}</span>"
        if period and has_budget:
            facts += " · "
        if has_budget:
            facts += f"<span>{words['budget']}: {escape(entry.budget_label)}"
            if entry.budget_note:
                note = escape(truncatewords(entry.budget_note, 8))
                facts += f' <span class="result-budget-note"{da}>({note})</span>'
            facts += "</span>"
        facts += "</p>"
    groups = ""
    if target_groups:
        badges = "".join(
            f'<span class="badge"{da}>{escape(name)}</span> ' for name in target_groups
        )
        groups = (
            f'<p class="result-groups"><span class="sr-only">{words["groups"]}:</span> {badges}</p>'
        )
    organisation = escape(entry.organisation)
    if da:
        organisation = f"<span{da}>{organisation}</span>"
    # One element a line, without indentation: the whitespace between blocks shows nothing.
    before = (
        '<li class="result-card">\n<article>\n'
        f'<h3 class="result-title"{da}><a href="{escape(_url(entry))}">{title}</a></h3>\n'
        f'<p class="result-meta"><span class="sr-only">{words["owner"]}:</span> '
        f"{organisation}{meta}</p>\n"
        f'<p class="result-status">{escape(entry.status_as_stated)} · {age}</p>\n'
        f"{facts}{SORT}\n"
        f'<p class="result-text"{da}>'
    )
    after = (
        "</p>\n"
        '<p class="result-compare form-group-checkbox"><input class="form-checkbox" '
        f'type="checkbox" id="compare-{slug}" name="indsats" value="{slug}" form="compare-form" '
        f'data-title="{title}"><label class="form-label" for="compare-{slug}">'
        f'{words["compare"]}<span class="sr-only"> {title}</span></label></p>\n'
        f"{groups}\n"
        "</article>\n</li>\n"
    )
    return before, after


def _union(count: int) -> str:
    """`_places`' statement for `count` ids, from the link tables' and the named tables' own
    names: the ORM took ~1.2 ms of CPU to compile the same union of three joins for each page
    of cards (~0.2 ms to send it as written here)."""
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * count)
    selects = []
    for at, (link, value) in enumerate(_PLACE_LINKS):
        entry = link._meta.get_field("intervention").column
        field = link._meta.get_field(value)
        named = field.related_model._meta
        selects.append(
            f"SELECT {at}, link.{quote(entry)}, named.{quote(named.get_field('name').column)} "
            f"FROM {quote(link._meta.db_table)} link JOIN {quote(named.db_table)} named "
            f"ON named.{quote(named.pk.column)} = link.{quote(field.column)} "
            f"WHERE link.{quote(entry)} IN ({marks})"
        )
    return " UNION ALL ".join(selects) + " ORDER BY 3"


# Where a card's lists come from: (link table, its field to the named row), in `_Places` order.
_PLACE_LINKS = (
    (Intervention.municipalities.through, "municipality"),
    (ServedMunicipality, "municipality"),
    (Intervention.target_groups.through, "targetgroup"),
)


def _places(pks: list[int]) -> dict[int, _Places]:
    """The names of the places that run each entry, those it serves and its target groups, in
    name order (their models' own), in one statement: names only, as building the related rows
    as model instances was most of the three prefetches' cost, and their three queries as one
    (ADR 0011, ninth round)."""
    found: dict[int, _Places] = {pk: ([], [], []) for pk in pks}
    with connection.cursor() as cursor:
        cursor.execute(_union(len(pks)), pks * len(_PLACE_LINKS))
        for at, pk, name in cursor.fetchall():
            found[pk][at].append(name)
    return found


def card_of(entry: Intervention) -> SafeString:
    """`entry`'s card with its summary and no sort line, its places and target groups read from
    its prefetched relations (`with_relations`), as the home page shows its newest entries."""
    places = (
        [place.name for place in entry.municipalities.all()],
        [served.municipality.name for served in entry.served.all()],
        [group.name for group in entry.target_groups.all()],
    )
    before, after, summary = _render(entry, places)
    return SafeString(before.replace(SORT, "") + summary + after)


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

    Cards missing from the cache are written, their places (those that run the entry and those
    it serves) and target groups read in one query for all of them, and kept.
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
        places = _places([entry.pk for entry in missing])
        fresh = {keys[entry.pk]: _render(entry, places[entry.pk]) for entry in missing}
        cache.set_many(fresh, timeout=settings.CARD_CACHE_SECONDS)
        kept_cards.set_many(fresh)
        kept.update(fresh)
    for entry in entries:
        before, after, summary = kept[keys[entry.pk]]
        text = getattr(entry, "snippet", "") or summary
        line = sort_line(entry, sort)
        # Each part is escaped when rendered; the sort line comes before the text.
        entry.card = SafeString(before.replace(SORT, line) + text + after)
