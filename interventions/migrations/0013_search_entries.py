"""`SearchEntry`: each entry's search texts in a narrow row of their own, for the search's lookup.

Filled from the entries' own texts in one statement (the same SQL on both databases). On
PostgreSQL the words get the GIN index the entries' words have, and are always kept out of line
(TOAST), so a row is the entry's id, its title and its metadata: a broad word's lookup reads a
narrow heap instead of the entries' wide rows (ADR 0011, "third round").
"""

import django.db.models.deletion
from django.db import migrations, models

# As `models.COPY_SEARCH_TEXTS` was when this migration was written (a migration keeps its own
# copy: migration 0016 moved the title and metadata out).
COPY_SEARCH_TEXTS = (
    "INSERT INTO interventions_searchentry (intervention_id, words, title, meta) "
    "SELECT id, search_document, search_title, search_meta FROM interventions_intervention"
)
WORDS_INDEX = "interventions_searchentry_words_gin"


def narrow_rows(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = "interventions_searchentry"
    # Any row longer than 128 bytes has its largest EXTERNAL/EXTENDED values moved out of line:
    # the words always; the title and metadata (MAIN) stay in the row.
    schema_editor.execute(
        f"ALTER TABLE {table} SET (toast_tuple_target = 128), "
        "ALTER COLUMN words SET STORAGE EXTERNAL, "
        "ALTER COLUMN title SET STORAGE MAIN, ALTER COLUMN meta SET STORAGE MAIN"
    )


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {WORDS_INDEX} ON interventions_searchentry "
            "USING gin ((string_to_array(btrim(words), ' ')))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {WORDS_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("interventions", "0012_budget_kinds"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "intervention",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="interventions.intervention",
                    ),
                ),
                ("words", models.TextField(help_text="Indsatsens søgetekst (search_document).")),
                (
                    "title",
                    models.TextField(help_text="Indsatsens titel som søgetekst (search_title)."),
                ),
                (
                    "meta",
                    models.TextField(help_text="Indsatsens metadata som søgetekst (search_meta)."),
                ),
            ],
            options={
                "verbose_name": "søgetekst",
                "verbose_name_plural": "søgetekster",
            },
        ),
        migrations.RunPython(narrow_rows, migrations.RunPython.noop),
        migrations.RunSQL(COPY_SEARCH_TEXTS, migrations.RunSQL.noop),
        migrations.RunPython(create_index, drop_index),
    ]
