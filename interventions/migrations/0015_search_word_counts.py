"""Each search word's number of published entries (`SearchWord.entries`), counted from the
entries' `SearchEntry` rows, which now say whether the entry is published (ADR 0011)."""

from collections import Counter

from django.db import migrations, models

def copy_withdrawn(apps, schema_editor):
    """The rows of the entries not published say so. The others keep the new column's default
    (True): on PostgreSQL adding it rewrites nothing, and updating all 100,000 rows rewrote
    them and their words index (7 minutes on the bench database, ADR 0011)."""
    SearchEntry = apps.get_model("interventions", "SearchEntry")
    SearchEntry.objects.filter(intervention__is_published=False).update(published=False)


def count_words(apps, schema_editor):
    """As `SearchWord.recount` is today (a migration keeps its own copy)."""
    SearchEntry = apps.get_model("interventions", "SearchEntry")
    SearchWord = apps.get_model("interventions", "SearchWord")
    counted: Counter = Counter()
    rows = SearchEntry.objects.values_list("words", "published").order_by()
    for words, published in rows.iterator(chunk_size=2000):
        split = words.split()
        counted.update(split if published else dict.fromkeys(split, 0))
    SearchWord.objects.bulk_create(
        [SearchWord(word=w, entries=n) for w, n in sorted(counted.items())],
        update_conflicts=True,
        unique_fields=["word"],
        update_fields=["entries"],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [("interventions", "0014_search_entry_fields_index")]

    operations = [
        migrations.AddField(
            model_name="searchword",
            name="entries",
            field=models.PositiveIntegerField(
                default=0, help_text="Antal offentliggjorte indsatser hvis søgetekst har ordet."
            ),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="published",
            field=models.BooleanField(
                default=True,
                help_text="Om indsatsen er offentliggjort; søgeordenes antal er talt herfra.",
            ),
        ),
        migrations.RunPython(copy_withdrawn, migrations.RunPython.noop),
        migrations.RunPython(count_words, migrations.RunPython.noop),
    ]
