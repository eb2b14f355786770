"""Public pages: plain function views, one per page; the FilterSet owns the query string."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from interventions.caching.entries import published_entries
from interventions.caching.page_cache import public_cache
from interventions.listing.cards import card_of
from interventions.listing.run import Listing
from interventions.models import Intervention, SourceDocument
from interventions.templatetags.site_tags import SelectionLinks, list_title
from interventions.views.browse import counted, danish_order, entry_points

PAGE_SIZE = 20


@public_cache
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    published = Intervention.objects.published()
    target_groups = counted("target_group").filter(n__gt=0)
    latest = list(published.with_relations().order_by("-updated_at", "title")[:6])
    for entry in latest:
        entry.card = card_of(entry)
    return render(
        request,
        "interventions/home.html",
        {
            "total": published.count(),
            "target_groups": danish_order(target_groups),
            "entry_points": entry_points(),
            "latest": latest,
        },
    )


@require_safe
@vary_on_headers("HX-Request")  # the same URL answers htmx with the results region only
def intervention_list(request: HttpRequest) -> HttpResponse:
    listing = Listing(request.GET)
    page = listing.page(request.GET.get("page"), PAGE_SIZE)
    query = listing.filterset.form["q"].value()  # as typed, an invalid one too
    context = {
        "filterset": listing.filterset,
        "page": page,
        # Each read once here, where the templates asked up to four times each.
        "q": query,
        "title": list_title(listing.facet_list, query, page.paginator.count),
        "links": SelectionLinks(request.GET),
        "suggestion": listing.suggestion(page),
        "danish_hint": listing.danish_hint(page),
        "facets": listing.facet_list,
        "budget": listing.facets.budget,
        "errors": listing.errors,
    }
    # htmx (filter, sort, page) gets only the results region; a history restore needs the page.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "interventions/includes/_results.html" if partial else "interventions/list.html"
    return render(request, template, context, status=200 if listing.valid else 400)


@require_safe
def intervention_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Editors (view or change permission) may preview drafts, read afresh; everyone else sees
    # published entries only, each loaded once per catalogue version and process.
    if can_preview(request):
        intervention = _entry(Intervention.objects.all(), slug)
    else:
        intervention = published_entries.get(
            slug, lambda: _entry(Intervention.objects.published(), slug)
        )
    response = render(request, "interventions/detail.html", {"intervention": intervention})
    if not intervention.is_published:
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Cache-Control"] = "private, no-store"
    return response


def _entry(base, slug: str) -> Intervention:
    """The entry with everything its page shows (404 if `base` lacks it)."""
    related = Prefetch("related", queryset=Intervention.objects.published())  # no links to drafts
    return get_object_or_404(base.with_relations().prefetch_related(related), slug=slug)


def can_preview(request: HttpRequest) -> bool:
    user = request.user
    return (
        user.is_authenticated
        and user.is_staff
        and (
            user.has_perm("interventions.view_intervention")
            or user.has_perm("interventions.change_intervention")
        )
    )


@require_safe
def about(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "pages/about.html",
        {
            "total": Intervention.objects.published().count(),
            "source_count": SourceDocument.objects.count(),
        },
    )


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/accessibility.html")
