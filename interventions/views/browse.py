"""Browse pages: the catalogue's vocabularies, each value with its number of published entries.

Every page is a way into the list page: a value links to `/indsatser/?<param>=<value>`. Counts
cover published entries only, count what the facet's filter keeps (the facet registry's
membership) and are computed in the database, one query per vocabulary.
"""

from __future__ import annotations

from itertools import groupby

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from interventions import facets_registry
from interventions.models import Guidance, Law, Municipality, SourceDocument

# Danish alphabetical order puts Æ, Ø and Å after Z; databases' default collations do not.
_DANISH = str.maketrans({"æ": "z{", "ø": "z|", "å": "z}", "é": "e", "ü": "u"})


def danish_order(items, key=lambda item: item.name) -> list:
    """`items` sorted the Danish way, case-insensitively (GROUP BY queries drop Meta.ordering)."""
    return sorted(items, key=lambda item: key(item).lower().translate(_DANISH))


def counted(param: str) -> QuerySet:
    """A facet's values, each with its number of published entries as `n`, counted as the
    facet's filter keeps them (the registry's membership: a region with its municipalities)."""
    facet = facets_registry.facet(param)
    return facet.vocabulary._default_manager.annotate(n=facet.published_count())


@require_safe
def paragraphs(request: HttpRequest) -> HttpResponse:
    laws = Law.objects.prefetch_related(
        Prefetch(
            "paragraphs",
            queryset=counted("paragraph").filter(n__gt=0).order_by("number_value", "number_suffix"),
            to_attr="used_paragraphs",
        )
    )
    laws = [law for law in laws if law.used_paragraphs]
    return render(request, "interventions/browse/paragraphs.html", {"laws": laws})


@require_safe
def target_groups(request: HttpRequest) -> HttpResponse:
    groups = danish_order(counted("target_group"))
    return render(request, "interventions/browse/target_groups.html", {"groups": groups})


@require_safe
def methods(request: HttpRequest) -> HttpResponse:
    terms = danish_order(counted("method").filter(n__gt=0))
    return render(request, "interventions/browse/methods.html", {"methods": terms})


@require_safe
def places(request: HttpRequest) -> HttpResponse:
    """Regions with their municipalities; a region counts entries in it or in its municipalities."""
    municipalities = danish_order(counted("municipality").filter(n__gt=0))
    by_region: dict[int, list[Municipality]] = {}
    for municipality in municipalities:
        by_region.setdefault(municipality.region_id, []).append(municipality)
    regions = [
        {"region": r, "count": r.n, "municipalities": by_region.get(r.pk, [])}
        for r in counted("region")
    ]
    return render(request, "interventions/browse/places.html", {"regions": regions})


@require_safe
def sources(request: HttpRequest) -> HttpResponse:
    documents = counted("source").order_by("file", "key")
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
    return {
        "paragraphs": counted("paragraph").filter(n__gt=0).count(),
        "municipalities": counted("municipality").filter(n__gt=0).count(),
        "methods": counted("method").filter(n__gt=0).count(),
        "sources": SourceDocument.objects.count(),
    }
