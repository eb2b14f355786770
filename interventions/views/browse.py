"""Browse pages: the catalogue's vocabularies, each value with its number of published entries.

Every page is a way into the list page: a value links to `/indsatser/?<param>=<value>`. Counts
cover published entries only and are computed in the database, one query per vocabulary.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from interventions.models import (
    Guidance,
    Intervention,
    Law,
    LegalParagraph,
    Method,
    Municipality,
    Region,
    SourceDocument,
    TargetGroup,
)

# Danish alphabetical order puts Æ, Ø and Å after Z; databases' default collations do not.
_DANISH = str.maketrans({"æ": "z{", "ø": "z|", "å": "z}", "é": "e", "ü": "u"})


def danish_order(items, key=lambda item: item.name) -> list:
    """`items` sorted the Danish way, case-insensitively (GROUP BY queries drop Meta.ordering)."""
    return sorted(items, key=lambda item: key(item).lower().translate(_DANISH))


def _published_count(relation: str = "interventions") -> Count:
    return Count(relation, filter=Q(**{f"{relation}__is_published": True}), distinct=True)


@require_safe
def paragraphs(request: HttpRequest) -> HttpResponse:
    laws = Law.objects.prefetch_related(
        Prefetch(
            "paragraphs",
            queryset=LegalParagraph.objects.annotate(n=_published_count())
            .filter(n__gt=0)
            .order_by("number_value", "number_suffix"),
            to_attr="used_paragraphs",
        )
    )
    laws = [law for law in laws if law.used_paragraphs]
    return render(request, "interventions/browse/paragraphs.html", {"laws": laws})


@require_safe
def target_groups(request: HttpRequest) -> HttpResponse:
    groups = danish_order(TargetGroup.objects.annotate(n=_published_count()))
    return render(request, "interventions/browse/target_groups.html", {"groups": groups})


@require_safe
def methods(request: HttpRequest) -> HttpResponse:
    terms = danish_order(Method.objects.annotate(n=_published_count()).filter(n__gt=0))
    return render(request, "interventions/browse/methods.html", {"methods": terms})


@require_safe
def places(request: HttpRequest) -> HttpResponse:
    """Regions with their municipalities; a region counts entries in it or in its municipalities."""
    published = Intervention.objects.published()
    # (region, entry) pairs both ways an entry belongs to a region, each entry counted once.
    pairs = set(published.filter(regions__isnull=False).values_list("regions", "pk")) | set(
        published.filter(municipalities__isnull=False).values_list("municipalities__region", "pk")
    )
    region_counts = Counter(region_pk for region_pk, _entry in pairs)
    municipalities = danish_order(
        Municipality.objects.annotate(n=_published_count()).filter(n__gt=0)
    )
    by_region: dict[int, list[Municipality]] = {}
    for municipality in municipalities:
        by_region.setdefault(municipality.region_id, []).append(municipality)
    regions = [
        {"region": r, "count": region_counts[r.pk], "municipalities": by_region.get(r.pk, [])}
        for r in Region.objects.all()
    ]
    return render(request, "interventions/browse/places.html", {"regions": regions})


@require_safe
def sources(request: HttpRequest) -> HttpResponse:
    documents = SourceDocument.objects.annotate(n=_published_count()).order_by("file", "key")
    documents = documents.prefetch_related(
        Prefetch("guidance", queryset=Guidance.objects.order_by("number"))
    )
    for document in documents:
        document.guidance_groups = [
            (group, list(items))
            for group, items in groupby(document.guidance.all(), key=lambda g: g.group)
        ]
    return render(request, "interventions/browse/sources.html", {"documents": documents})


def entry_points() -> dict[str, int]:
    """How many values each browse page offers, for the front page's entry points."""
    used = {"interventions__is_published": True}
    return {
        "paragraphs": LegalParagraph.objects.filter(**used).distinct().count(),
        "municipalities": Municipality.objects.filter(**used).distinct().count(),
        "methods": Method.objects.filter(**used).distinct().count(),
        "sources": SourceDocument.objects.count(),
    }
