"""Free-text search over interventions: one entry point, the same behaviour on every database.

- `text`: pure Danish text helpers (normalise, words, lemmas and stems, paragraph mentions); no
  database.
- `query`: a query parsed into terms and ranked (`ranked()`: BM25F over indexed lookups;
  `search()`: the same as a queryset), ADR 0011.
- `documents`: the denormalised texts each entry is searched by.
- `side`: a second database connection, so that a search's independent statements run at once.
- `hints`: the query fitted to the catalogue's words (typo corrections, compounds), snippets.
"""
