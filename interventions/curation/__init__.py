"""Curation: the catalogue's fixtures in and out, and municipalities' intake forms.

read -> validate (against schema) -> load; entry (one entry<->dict conversion, one checksum),
export (the public export format), write_back and yaml_writer (the database back into the
fixture files), intake (forms loaded as drafts), pdf_text (cleaning text converted from PDF).
See docs/architecture.md and docs/adr/0010-one-entry-schema-and-checksum.md.
"""
