import gzip
import zlib
from pathlib import Path

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import Error as DatabaseFailure
from django.db import transaction
from django.test.utils import override_settings

from interventions.curation.problems import first_line
from interventions.models import SearchEntry

# Rows that `migrate` itself creates; the backup's copies are matched to them by natural key.
CREATED_BY_MIGRATE = {ContentType, Permission}
# The editorial roles, created by the data migration interventions/0004_editor_groups.
ROLE_GROUPS = ("Redaktør", "Læser")


def _has_own_rows(model) -> bool:
    rows = model._base_manager.all()
    if model is Group:
        rows = rows.exclude(name__in=ROLE_GROUPS)
    return rows.exists()


def damage(file: Path) -> str | None:
    """Why a gzip'd backup cannot be complete (cut short, corrupted), or None when it reads to
    its end: gzip's trailer holds the length and checksum of everything before it."""
    if not file.name.endswith(".gz"):
        return None
    try:
        with gzip.open(file, "rb") as stream:
            while stream.read(1024 * 1024):
                pass
    except (EOFError, OSError, zlib.error) as exc:
        return first_line(exc)
    return None


class Command(BaseCommand):
    help = "Load a file written by `backup` into an empty, migrated database, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="a backups/indsatskataloget-*.yaml.gz file")

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"No such backup file: {file}")
        # Checked before anything is written: a copy cut short would otherwise fail half-way.
        problem = damage(file)
        if problem:
            raise CommandError(
                f"The backup {file} is damaged or incomplete ({problem}); nothing was restored. "
                "Use another backup, or copy this one again."
            )
        try:
            self._restore(file)
        except (DeserializationError, DatabaseFailure) as exc:
            raise CommandError(
                f"The backup {file} could not be restored ({first_line(exc)}); loading runs in "
                "one transaction, so the database was not changed."
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Restored {file}."))

    def _restore(self, file: Path) -> None:
        occupied = sorted(
            model._meta.label
            for model in apps.get_models()
            if model not in CREATED_BY_MIGRATE and _has_own_rows(model)
        )
        if occupied:
            raise CommandError(
                "The database is not empty (rows in " + ", ".join(occupied) + "); restore into a "
                "new database, or empty this one first with `manage.py flush`."
            )
        # loaddata runs in one transaction and resets PostgreSQL's sequences afterwards. The
        # backup holds the history already: restoring must not record the restore as edits.
        with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
            call_command("loaddata", str(file.resolve()), verbosity=0)
            SearchEntry.rebuild()  # not in the backup: copied from the entries' texts
