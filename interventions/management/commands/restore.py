from pathlib import Path

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

# Rows that `migrate` itself creates; the backup's copies are matched to them by natural key.
CREATED_BY_MIGRATE = {ContentType, Permission}


class Command(BaseCommand):
    help = "Load a file written by `backup` into an empty, migrated database, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="a backups/indsatskataloget-*.yaml.gz file")

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"No such backup file: {file}")
        occupied = sorted(
            model._meta.label
            for model in apps.get_models()
            if model not in CREATED_BY_MIGRATE and model._base_manager.exists()
        )
        if occupied:
            raise CommandError(
                "The database is not empty (rows in " + ", ".join(occupied) + "); restore into a "
                "new database, or empty this one first with `manage.py flush`."
            )
        # loaddata runs in one transaction and resets PostgreSQL's sequences afterwards.
        call_command("loaddata", str(file.resolve()), verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"Restored {file}."))
