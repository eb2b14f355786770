"""The catalogue version every process shares: one row, bumped after each committed change.

Not a model on purpose (ADR 0008): it is how caches agree, not catalogue data, so backups,
restores, `flush` and the admin leave it alone. `interventions.caching` reads and bumps it.
"""

import time

from django.db import migrations

TABLE = "interventions_catalogue_version"


def create(apps, schema_editor):
    schema_editor.execute(
        f"CREATE TABLE {TABLE} (id integer NOT NULL PRIMARY KEY CHECK (id = 1), "
        "version bigint NOT NULL)"
    )
    # The version is a time in nanoseconds (pages' Last-Modified is taken from it).
    schema_editor.execute(f"INSERT INTO {TABLE} (id, version) VALUES (1, %s)", [time.time_ns()])


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE {TABLE}")


class Migration(migrations.Migration):
    dependencies = [("interventions", "0006_intervention_edit_version")]

    operations = [migrations.RunPython(create, drop)]
