"""Compare two to four published entries side by side: entries in columns, facts in rows.

`/sammenlign/?indsats=a&indsats=b` is the whole state, so the URL is the shareable link and the
page works without JavaScript (a plain GET form adds an entry, a link removes one). The rows are
interventions/facts.py's `COMPARED` facts; a row whose cells differ is marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from interventions.caching.page_cache import public_cache
from interventions.facts import COMPARED
from interventions.models import Intervention

PARAM = "indsats"
MAX_ENTRIES = 4


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[str]
    differs: bool


def chosen_slugs(request: HttpRequest) -> list[str]:
    """The chosen slugs in the order given, each once; empty values (an unused select) dropped."""
    slugs: list[str] = []
    for value in request.GET.getlist(PARAM):
        value = value.strip()
        if value and value not in slugs:
            slugs.append(value)
    return slugs


def compare_url(slugs: list[str]) -> str:
    query = urlencode([(PARAM, slug) for slug in slugs])
    return reverse("interventions:compare") + (f"?{query}" if query else "")


def _rows(entries: list[Intervention]) -> list[Row]:
    rows = []
    for fact in COMPARED:
        cells = [fact.display(entry) for entry in entries]
        rows.append(Row(str(fact.label), cells, differs=len(entries) > 1 and len(set(cells)) > 1))
    return rows


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    context = {"error": message, "entries": [], "choices": _choices([]), "max": MAX_ENTRIES}
    return render(request, "interventions/compare.html", context, status=status)


def _choices(slugs: list[str]) -> list[tuple[str, str]]:
    """Published entries that may be added (slug, title with owner), in title order."""
    published = Intervention.objects.published().exclude(slug__in=slugs).order_by("title", "slug")
    return [
        (slug, f"{title} ({organisation})" if organisation else title)
        for slug, title, organisation in published.values_list("slug", "title", "organisation")
    ]


@public_cache
@require_safe
def compare(request: HttpRequest) -> HttpResponse:
    slugs = chosen_slugs(request)
    if len(slugs) > MAX_ENTRIES:
        return _refused(
            request,
            _("Du kan sammenligne højst %(max)d indsatser ad gangen; du valgte %(count)d.")
            % {"max": MAX_ENTRIES, "count": len(slugs)},
            400,
        )
    # A NUL cannot be in a slug (and PostgreSQL refuses it in a query): such a value is unknown.
    candidates = [s for s in slugs if "\x00" not in s]
    found = {
        entry.slug: entry
        for entry in Intervention.objects.published().with_relations().filter(slug__in=candidates)
    }
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        return _refused(
            request,
            _("Kataloget har ingen offentliggjort indsats med id »%(slug)s«.")
            % {"slug": missing[0]},
            404,
        )
    entries = [found[slug] for slug in slugs]
    columns = [
        {"entry": entry, "remove_url": compare_url([s for s in slugs if s != entry.slug])}
        for entry in entries
    ]
    context = {
        "entries": entries,
        "columns": columns,
        "rows": _rows(entries),
        "slugs": slugs,
        "choices": _choices(slugs) if len(slugs) < MAX_ENTRIES else [],
        "max": MAX_ENTRIES,
        "share_url": request.build_absolute_uri(compare_url(slugs)),
    }
    return render(request, "interventions/compare.html", context)
