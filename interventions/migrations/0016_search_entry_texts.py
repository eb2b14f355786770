"""`SearchEntryText`: the entries' title and metadata search texts, moved out of `SearchEntry`.

A broad word's ids lookup visits the heap row of every match; with the title and metadata in
them, `SearchEntry`'s rows filled 8,538 blocks at 100,000 entries, without them 1,663 (ADR 0011,
"seventh round"; the migration took 3 minutes there, at a load average of 6). On PostgreSQL the
table is rewritten (`CLUSTER`: a dropped column stays in the old rows until then) and the GIN
index over the fields' words (migration 0014) is made again over the new table, over the same
expression. Reversible: the texts are copied back.
"""

import django.db.models.deletion
from django.db import migrations, models

ENTRIES = "interventions_searchentry"
TEXTS = "interventions_searchentrytext"
FIELDS_INDEX = "interventions_searchentrytext_fields_gin"
OLD_FIELDS_INDEX = "interventions_searchentry_fields_gin"  # migration 0014's


def copy_texts(apps, schema_editor):
    schema_editor.execute(
        f"INSERT INTO {TEXTS} (intervention_id, title, meta) "
        f"SELECT intervention_id, title, meta FROM {ENTRIES}"
    )


def copy_back(apps, schema_editor):
    schema_editor.execute(
        f"UPDATE {ENTRIES} SET title = t.title, meta = t.meta FROM {TEXTS} AS t "
        f"WHERE {ENTRIES}.intervention_id = t.intervention_id"
    )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {OLD_FIELDS_INDEX} ON {ENTRIES} "
            "USING gin ((string_to_array(btrim(title || meta), ' ')))"
        )


def narrow_rows(apps, schema_editor):
    """Rewrite `SearchEntry`'s rows without the dropped columns (the words stay out of line,
    migration 0013), and index the fields' words where they now are."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CLUSTER {ENTRIES} USING {ENTRIES}_pkey")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {FIELDS_INDEX} ON {TEXTS} "
        "USING gin ((string_to_array(btrim(title || meta), ' ')))"
    )
    schema_editor.execute(f"ANALYZE {ENTRIES}")
    schema_editor.execute(f"ANALYZE {TEXTS}")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {FIELDS_INDEX}")


def text_field(help_text: str, **options) -> models.TextField:
    return models.TextField(help_text=help_text, **options)


TITLE_HELP = "Indsatsens titel som søgetekst (search_title)."
META_HELP = "Indsatsens metadata som søgetekst (search_meta)."


class Migration(migrations.Migration):
    dependencies = [("interventions", "0015_search_word_counts")]

    operations = [
        migrations.CreateModel(
            name="SearchEntryText",
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
                ("title", text_field(TITLE_HELP)),
                ("meta", text_field(META_HELP)),
            ],
            options={
                "verbose_name": "søgetitel og -metadata",
                "verbose_name_plural": "søgetitler og -metadata",
            },
        ),
        migrations.RunPython(copy_texts, copy_back),
        # In the state only: backwards, the columns come back filled with "" before the texts
        # are copied back (a NOT NULL column needs a default on a table with rows).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField("searchentry", "title", text_field(TITLE_HELP, default="")),
                migrations.AlterField("searchentry", "meta", text_field(META_HELP, default="")),
            ]
        ),
        migrations.RemoveField(model_name="searchentry", name="meta"),
        migrations.RemoveField(model_name="searchentry", name="title"),
        migrations.RunPython(narrow_rows, drop_index),
    ]
