"""Follow a search: an Atom feed of what happened to the entries a list URL shows.

`/indsatser/feed.atom?<the list's query string>` selects entries through the same
InterventionFilter as the list page, so a feed means exactly what the page shows;
`/indsatser/<slug>/feed.atom` follows one entry. An item is an entry that became published, was
confirmed, or changed in a fact a reader cares about (interventions/facts.py `WATCHED`, and its
contacts), worded as the change ("Status ændret fra »Planlagt« til »I drift«"). The changes are
read from the entries' history (django-simple-history), so nothing new is stored, and no
account or e-mail address is needed: a feed reader or an e-mail-by-feed service does the rest.

Changes to one entry within `GROUP_SECONDS` of each other are one item (an editor's save writes
the entry, then its contacts). An item's id is built from its first change's history row, so it
stays the same however often the feed is read; a later change in the same group updates it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from interventions.facts import WATCHED
from interventions.listing.filters import InterventionFilter
from interventions.models import Confirmation, Contact, Intervention
from interventions.views.downloads import _filter

MAX_ITEMS = 50
GROUP_SECONDS = 600
# List parameters that do not change the selection, left out of the feed's links.
NOT_SELECTING = ("page", "sort")
CONTACT_FIELDS = ("name", "role", "organisation", "email", "phone")


@dataclass
class Change:
    when: datetime
    key: str  # unique per entry and stable: the kind of change and its history row
    text: str
    published: bool = False


@dataclass
class Item:
    entry: tuple[int, str, str, str]  # pk, slug, title, summary
    changes: list[Change] = field(default_factory=list)

    @property
    def published(self) -> bool:
        return any(change.published for change in self.changes)

    @property
    def first(self) -> datetime:
        return self.changes[0].when

    @property
    def last(self) -> datetime:
        return self.changes[-1].when


def _entry_changes(pks: list[int]) -> dict[int, list[Change]]:
    """Each entry's changes in time order, from its history and its contacts' history."""
    watched = sorted({name for fact in WATCHED for name in fact.watched})
    rows = (
        Intervention.history.filter(id__in=pks)
        .order_by("id", "history_date", "history_id")
        .values("id", "history_id", "history_date", "is_published", *watched)
    )
    changes: dict[int, list[Change]] = {pk: [] for pk in pks}
    previous: dict[int, dict] = {}
    for row in rows:
        before = previous.get(row["id"])
        previous[row["id"]] = row
        found = changes[row["id"]]
        if not row["is_published"]:
            continue
        when, number = row["history_date"], row["history_id"]
        if before is None or not before["is_published"]:
            found.append(Change(when, f"published-{number}", _("Offentliggjort"), published=True))
            continue
        for fact in WATCHED:
            if fact.changed and any(before[name] != row[name] for name in fact.watched):
                found.append(Change(when, f"{fact.name}-{number}", fact.changed(before, row)))
    for change in _contact_changes(pks, previous):
        changes[change[0]].append(change[1])
    for confirmation in Confirmation.objects.filter(intervention_id__in=pks):
        changes[confirmation.intervention_id].append(
            Change(
                confirmation.recorded_at,
                f"confirmed-{confirmation.pk}",
                _("Bekræftet af %(by)s") % {"by": confirmation.confirmed_by},
            )
        )
    for found in changes.values():
        found.sort(key=lambda change: change.when)
    return changes


def _contact_changes(pks: list[int], entries: dict[int, dict]):
    """(entry pk, change) for each contact added, removed or changed while its entry was shown."""
    rows = (
        Contact.history.filter(intervention_id__in=pks)
        .order_by("history_date", "history_id")
        .values(
            "id", "intervention_id", "history_id", "history_date", "history_type", *CONTACT_FIELDS
        )
    )
    previous: dict[int, dict] = {}
    for row in rows:
        before = previous.get(row["id"])
        previous[row["id"]] = row
        if row["intervention_id"] not in entries:
            continue
        name = row["name"]
        key = f"contact-{row['history_id']}"
        if row["history_type"] == "+":
            text = _("Kontaktperson tilføjet: %(name)s") % {"name": name}
        elif row["history_type"] == "-":
            text = _("Kontaktperson fjernet: %(name)s") % {"name": name}
        elif before is None or any(before[f] != row[f] for f in CONTACT_FIELDS):
            text = _("Kontaktoplysninger ændret: %(name)s") % {"name": name}
        else:
            continue
        yield row["intervention_id"], Change(row["history_date"], key, text)


def feed_items(entries: list[tuple[int, str, str, str]]) -> list[Item]:
    """The items for these entries, newest first: each entry's changes grouped by time."""
    by_pk = {entry[0]: entry for entry in entries}
    items: list[Item] = []
    for pk, changes in _entry_changes(list(by_pk)).items():
        current: Item | None = None
        for change in changes:
            if current is None or change.when - current.first > timedelta(seconds=GROUP_SECONDS):
                current = Item(by_pk[pk])
                items.append(current)
            current.changes.append(change)
    items.sort(key=lambda item: (item.last, item.changes[0].key), reverse=True)
    return items[:MAX_ITEMS]


@dataclass
class Selection:
    title: str
    subtitle: str
    link: str
    feed_url: str
    entries: list[tuple[int, str, str, str]]


class ChangesFeed(Feed):
    """Django's syndication framework, one instance per request (the selection is its object)."""

    feed_type = Atom1Feed

    def __init__(self, selection: Selection):
        super().__init__()
        self.selection = selection

    def get_object(self, request, *args, **kwargs) -> Selection:
        self.request = request
        return self.selection

    def title(self, obj: Selection) -> str:
        return obj.title

    def subtitle(self, obj: Selection) -> str:
        return obj.subtitle

    def link(self, obj: Selection) -> str:
        return obj.link

    def feed_url(self, obj: Selection) -> str:
        return obj.feed_url

    def author_name(self) -> str:
        return "Indsatskataloget"

    def items(self, obj: Selection) -> list[Item]:
        return feed_items(obj.entries)

    def item_title(self, item: Item) -> str:
        title = item.entry[2]
        if item.published:
            return _("Ny i kataloget: %(title)s") % {"title": title}
        return f"{title}: {item.changes[0].text}"

    def item_description(self, item: Item) -> str:
        if item.published:
            return item.entry[3]
        return "\n".join(f"{change.text}." for change in item.changes)

    def item_link(self, item: Item) -> str:
        return reverse("interventions:detail", args=[item.entry[1]])

    def item_guid(self, item: Item) -> str:
        link = self.request.build_absolute_uri(self.item_link(item))
        return uuid.uuid5(uuid.NAMESPACE_URL, f"{link}#{item.changes[0].key}").urn

    def item_pubdate(self, item: Item) -> datetime:
        return item.first

    def item_updateddate(self, item: Item) -> datetime:
        return item.last


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _describe(filterset: InterventionFilter) -> str:
    """The selection in words: the chosen values of each filter, the search in quotes."""
    parts: list[str] = []
    for name, value in filterset.form.cleaned_data.items():
        if name in NOT_SELECTING or value in (None, "", [], ()):
            continue
        if name == "match_all":
            continue  # worded with its facet's values, below
        if name == "q":
            # XML 1.0 cannot carry control characters; a search may hold them (they match nothing).
            parts.append(f"»{_CONTROL.sub('', value)}«")
        elif isinstance(value, QuerySet):
            values = [str(v) for v in value]
            if name in (filterset.form.cleaned_data.get("match_all") or []) and len(values) > 1:
                both = _("og")  # "alle valgte": every one, not any (outside the f-string: xgettext)
                parts.append(f" {both} ".join(values))
            else:
                parts += values
        elif isinstance(value, bool):
            parts.append(str(filterset.filters[name].label) if value else f"¬ {name}")
        else:
            labels = dict(filterset.filters[name].extra.get("choices", ()))
            parts += [str(labels.get(v, v)) for v in value]
    return ", ".join(parts)


@require_safe
def selection_feed(request: HttpRequest) -> HttpResponse:
    filterset, error = _filter(request)
    if error:
        return error
    query = urlencode(
        [(k, v) for k, values in filterset.data.lists() if k not in NOT_SELECTING for v in values]
    )
    suffix = f"?{query}" if query else ""
    described = _describe(filterset)
    selection = Selection(
        title=(
            _("Indsatskataloget: %(selection)s") % {"selection": described}
            if described
            else _("Indsatskataloget: alle indsatser")
        ),
        subtitle=_(
            "Nye, bekræftede og ændrede indsatser i udvalget: status, kontakt, budget og tekst."
        ),
        link=reverse("interventions:list") + suffix,
        feed_url=reverse("interventions:feed") + suffix,
        entries=list(filterset.qs.order_by().values_list("pk", "slug", "title", "summary")),
    )
    return ChangesFeed(selection)(request)


@require_safe
def entry_feed(request: HttpRequest, slug: str) -> HttpResponse:
    if "\x00" in slug:
        raise Http404
    entry = get_object_or_404(Intervention.objects.published(), slug=slug)
    selection = Selection(
        title=_("Indsatskataloget: %(title)s") % {"title": entry.title},
        subtitle=_("Ændringer i indsatsen: status, kontakt, budget, tekst og bekræftelser."),
        link=entry.get_absolute_url(),
        feed_url=reverse("interventions:entry_feed", args=[entry.slug]),
        entries=[(entry.pk, entry.slug, entry.title, entry.summary)],
    )
    return ChangesFeed(selection)(request)
