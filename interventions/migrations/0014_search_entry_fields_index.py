"""A GIN index over the words of each `SearchEntry`'s title and metadata (PostgreSQL only).

A search reads an entry's title and metadata only where they hold the word: this index finds
those entries (a third of a broad word's matches at 100,000 entries) without a LIKE over every
match's metadata, as the words index finds the matches themselves (ADR 0011, "fourth round").
Over the expression the lookup uses (`query.FIELD_WORDS`), so nothing is stored or written
beside it. SQLite has no GIN: its lookup is a LIKE over the two fields, as before.
"""

from django.db import migrations

FIELDS_INDEX = "interventions_searchentry_fields_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {FIELDS_INDEX} ON interventions_searchentry "
            "USING gin ((string_to_array(btrim(title || meta), ' ')))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {FIELDS_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("interventions", "0013_search_entries"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
