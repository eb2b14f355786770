"""Every entry gets an edit version, raised by every change to it or its contacts, legal basis and
links; the admin refuses to save a form opened at an older version (optimistic locking)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interventions", "0005_search_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="intervention",
            name="edit_version",
            field=models.PositiveIntegerField(
                default=0,
                editable=False,
                help_text=(
                    "Tælles op ved hver ændring af indsatsen, dens kontaktpersoner, lovgrundlag og "
                    "koblinger; redigeringsformularen afviser at gemme oven i en ændring, den ikke "
                    "har set."
                ),
                verbose_name="version",
            ),
        ),
    ]
