"""Public pages: plain function views, one per page; the FilterSet owns the query string."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from interventions.caching import public_cache
from interventions.facets import compute_facets
from interventions.filters import InterventionFilter
from interventions.models import Intervention, TargetGroup

PAGE_SIZE = 20


@public_cache
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    published = Intervention.objects.published()
    target_groups = TargetGroup.objects.annotate(
        n=Count("interventions", filter=Q(interventions__is_published=True))
    ).filter(n__gt=0)
    return render(
        request,
        "interventions/home.html",
        {
            "total": published.count(),
            "target_groups": target_groups,
            "latest": published.with_relations().order_by("-updated_at", "title")[:6],
        },
    )


@require_GET
def intervention_list(request: HttpRequest) -> HttpResponse:
    published = Intervention.objects.published()
    filterset = InterventionFilter(request.GET, queryset=published)
    # An invalid value (unknown slug, unsearchable query) is reported, and the other filters
    # still apply: the form's cleaned data simply lacks the bad one.
    valid = filterset.is_valid()
    page = Paginator(filterset.qs.with_relations(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "page": page,
        "facets": compute_facets(request.GET, published, filterset),
        "errors": [] if valid else [e for errors in filterset.errors.values() for e in errors],
    }
    return render(request, "interventions/list.html", context, status=200 if valid else 400)


@require_GET
def intervention_detail(request: HttpRequest, slug: str) -> HttpResponse:
    intervention = get_object_or_404(
        Intervention.objects.published().with_relations().prefetch_related("related"), slug=slug
    )
    return render(request, "interventions/detail.html", {"intervention": intervention})
