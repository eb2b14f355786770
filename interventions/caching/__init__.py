"""HTTP caching of the public pages, and the catalogue version that every cached thing is keyed by.

- `version`: the catalogue version, one row in the database that every process shares (ADR 0008);
  bumped once per committed transaction that changed catalogue data (see interventions/signals.py).
- `page_cache`: the middleware that serves and stores anonymous public responses under that
  version, with ETag and Last-Modified.
- `entries`: the published entries each process loaded for their page, kept for the version
  (ADR 0017).
- `behind`: what is kept per version and only old is served while a thread builds it again,
  behind the requests (ADR 0006).
"""
