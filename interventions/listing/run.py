"""One listing request, from the query string to the entries: the list page and its htmx
partial, the API's list and the downloads all run it.

A `Listing` validates the query string with the FilterSet (the contract), parses `q` once
(`search.query.parse_query`) and consults the catalogue index at most once
(`listing.index.catalogue_index`); the search, the facet counts, the cards and the snippets all
use that one parsed query and that one index. The list page asks the index for its counts and
its page (`page()`); the API pages a search through the index too (`rows()`) and otherwise
reads its rows from the database (`qs`), as the downloads do, where their query budgets were
measured.
"""

from __future__ import annotations

from functools import cache, cached_property

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import get_language

from interventions.listing.cards import attach_cards
from interventions.listing.facets import Facet, FacetResult, SelectionPages, compute_facets
from interventions.listing.filters import InterventionFilter
from interventions.listing.index import FacetIndex
from interventions.models import Intervention
from interventions.search.hints import danish_terms, snippet, snippet_patterns
from interventions.search.query import ParsedQuery


@cache
def _published() -> QuerySet:
    """The published entries, as a query never run itself: each listing gets a copy (`all()`),
    ~10 us, where building the filter again cost ~120 us."""
    return Intervention.objects.published()


class Listing:
    """The published entries a query string keeps."""

    def __init__(self, params: QueryDict, queryset: QuerySet | None = None) -> None:
        self.params = params
        if queryset is None:
            queryset = _published().all()
        self.filterset = InterventionFilter(params, queryset=queryset)
        # An invalid value (unknown slug, unsearchable query) is reported, and the other filters
        # still apply: the form's cleaned data simply lacks the bad one.
        self.valid = self.filterset.is_valid()

    @property
    def cleaned(self) -> dict:
        return self.filterset.form.cleaned_data

    @property
    def errors(self) -> list[str]:
        """The Danish messages of every invalid value."""
        return [message for errors in self.filterset.errors.values() for message in errors]

    @property
    def query(self) -> ParsedQuery | None:
        """The valid `q`, parsed (once, by the filterset), or None."""
        return self.filterset.parsed_query()

    @property
    def index(self) -> FacetIndex:
        """The catalogue index (looked up once, by the filterset)."""
        return self.filterset.facet_index()

    @property
    def qs(self) -> QuerySet:
        """The entries in the database, in the chosen order (relevance for a search)."""
        return self.filterset.qs

    def rows(self) -> QuerySet | SelectionPages:
        """The entries for a paginator (the API's list), each page read with the listing's
        queryset.

        A search without a chosen `sort` is paged by the index, as the list page is: the index
        has ranked the search's matches and remembers them, so neither the search nor the count
        runs in SQL, and the order is the list page's by construction. Anything else is the
        database's to count and order (`qs`), where a list without a search needs no index.
        """
        # `q` is read from the cleaned data, not parsed here: the facets parse it through the
        # index, which keeps it (FacetIndex.understood).
        if self.valid and self.cleaned.get("q") and not self.cleaned.get("sort"):
            return SelectionPages(self.facets.selection, self.filterset.queryset)
        return self.qs

    @cached_property
    def facets(self) -> FacetResult:
        """The facets with their counts, and the selection the query keeps, from the index."""
        return compute_facets(self.params, self.filterset)

    @property
    def facet_list(self) -> list[Facet]:
        return self.facets.facets

    def page(self, number: str | int | None, size: int) -> Page:
        """A page of result cards, each with its snippet for a search.

        The index has counted the results and knows their order: relevance for a search, title
        otherwise. A chosen `sort` is the database's to order (the count still comes from the
        index).
        """
        facets = self.facets  # first: it looks up the index, which keeps the parsed query
        query = self.query
        if self.cleaned.get("sort"):
            paginator = Paginator(self.qs.for_cards(snippets=query is not None), size)
            paginator.count = facets.total
        else:
            paginator = Paginator(SelectionPages(facets.selection), size)
        page = paginator.get_page(number)
        patterns = snippet_patterns(query) if query else ()
        for intervention in page:
            intervention.snippet = snippet(intervention, query, patterns) if query else ""
        sort = self.cleaned.get("sort")
        attach_cards(page.object_list, self.index, sort=sort[0] if sort else None)
        return page

    @property
    def corrected_query(self) -> str | None:
        """The query searched instead of `q` when a typo was corrected, or None."""
        query = self.query
        return query.corrected if query is not None else None

    def suggestion(self, page: Page | None = None) -> dict[str, str] | None:
        """ "Viser resultater for »text«. Søg i stedet efter »original«" when a typo was corrected:
        the corrected query as `text`, the query as typed as `original`, and as `url` the link
        that searches the original in quotes (a quoted word is never corrected), with the same
        other parameters."""
        query = self.query
        if query is None or not query.corrected:
            return None
        params = self.params.copy()
        params.pop("page", None)
        params["q"] = f'"{query.original}"'
        return {
            "text": query.corrected,
            "original": query.original,
            "url": f"?{params.urlencode()}",
        }

    def danish_hint(self, page: Page) -> dict | None:
        """On a page in another language than Danish, when a search found nothing: the entries'
        texts are Danish, so the nearest Danish vocabulary terms are offered (`terms`: each its
        name and the link that searches it, with the same other parameters)."""
        query = self.query
        if query is None or page.paginator.count or (get_language() or "da").startswith("da"):
            return None
        terms = []
        for name in danish_terms(query):
            params = self.params.copy()
            params.pop("page", None)
            params["q"] = name
            terms.append({"text": name, "url": f"?{params.urlencode()}"})
        return {"terms": terms}
