"""Free-text search over interventions: one entry point, the same behaviour on every database.

- `text`: pure Danish text helpers (normalise, words, stems); no database.
- `query`: a query parsed into terms, matched and ranked in the database (`search()`).
- `documents`: the denormalised texts each entry is searched by.
- `hints`: snippets and "Mente du" suggestions.
"""
