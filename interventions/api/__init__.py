"""The public, read-only JSON API under /api/ (Django REST framework, OpenAPI by drf-spectacular).

It answers the same query string as the list page (the FilterSet in
interventions/listing/filters.py) and shows only published entries.
"""
