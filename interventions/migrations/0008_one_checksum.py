"""One checksum (ADR 0010): `loaded_checksum`, the entry's content when it was last loaded, now
also tells the loader which fixtures changed, so the checksum of the raw fixture goes.

The stored `loaded_checksum` values stay valid: the checksum is computed as before."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("interventions", "0007_catalogue_version"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="intervention",
            name="fixture_checksum",
        ),
    ]
