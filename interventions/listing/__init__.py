"""The list request: from a query string to counted facets and a page of result cards.

- `run`: the one entry point (`Listing`): the query string validated, `q` parsed once, the
  catalogue index consulted once; used by the list page, the API list and the downloads.
- `filters`: the FilterSet, the contract of the query string (facet filters from the registry).
- `index`: the published catalogue in memory, as bitsets per facet value.
- `facets`: the facet panel's counts and the selection, from the index.
- `cards`: result cards, rendered once and kept.
"""
