"""The search's vocabulary (`SearchWord`) and, on PostgreSQL, a GIN index over each entry's words.

A query's stem is matched against the vocabulary, and the entries having one of the matched words
come from the GIN index: no document text is read. The trigram index over the whole search
document, which served the earlier LIKE '%stem%' lookups, goes; SQLite keeps its substring test.
"""

from django.db import migrations, models

WORDS_INDEX = "interventions_search_words_gin"


def remember_words(apps, schema_editor):
    SearchWord = apps.get_model("interventions", "SearchWord")
    Intervention = apps.get_model("interventions", "Intervention")
    found = set()
    documents = Intervention.objects.values_list("search_document", flat=True)
    for document in documents.iterator(chunk_size=2000):
        found.update(document.split())
    SearchWord.objects.bulk_create(
        [SearchWord(word=w) for w in sorted(found)], ignore_conflicts=True, batch_size=5000
    )


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {WORDS_INDEX} ON interventions_intervention "
        "USING gin ((string_to_array(btrim(search_document), ' ')))"
    )
    schema_editor.execute("DROP INDEX IF EXISTS interventions_search_document_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS interventions_searchword_trgm "
        "ON interventions_searchword USING gin (word gin_trgm_ops)"
    )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {WORDS_INDEX}")
    schema_editor.execute("DROP INDEX IF EXISTS interventions_searchword_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS interventions_search_document_trgm "
        "ON interventions_intervention USING gin (search_document gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("interventions", "0004_editor_groups"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("word", models.TextField(unique=True)),
            ],
            options={"verbose_name": "søgeord", "verbose_name_plural": "søgeord"},
        ),
        migrations.RunPython(remember_words, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
