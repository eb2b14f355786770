import os
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import Error as DatabaseFailure
from django.db import connection, transaction
from django.utils import timezone

from interventions.curation.problems import first_line


class Command(BaseCommand):
    help = (
        "Write every row of every app (catalogue, users, history, sessions ...) to a gzip'd "
        "YAML file with natural keys, restorable on SQLite and PostgreSQL alike (see `restore`)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory",
            type=Path,
            default=settings.BASE_DIR / "backups",
            help="where to write indsatskataloget-YYYYMMDD-HHMMSS.yaml.gz (default: backups/)",
        )

    def handle(self, *args, directory: Path, **options):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        target = directory / f"indsatskataloget-{stamp}.yaml.gz"
        if target.exists():
            raise CommandError(f"{target} already exists; try again in a second.")
        partial = target.with_name(f".{target.name}.partial.yaml.gz")
        # Password hashes and sessions are in it: readable by the owner only.
        umask = os.umask(0o077)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._dump(partial)
        except (DatabaseFailure, CommandError) as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(
                f"Could not read the database ({first_line(exc)}); no backup was written."
            ) from None
        finally:
            os.umask(umask)
        partial.rename(target)  # a file with the final name is always complete
        self.stdout.write(target.as_posix())

    def _dump(self, partial: Path) -> None:
        # One read-only snapshot, so that edits during the dump cannot make it inconsistent.
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            # YAML, not JSON: Django's JSON encoder cuts timestamps to milliseconds.
            call_command(
                "dumpdata",
                format="yaml",
                natural_foreign=True,
                natural_primary=True,
                use_base_manager=True,
                # Derived from the entries' texts, and keyed by their ids, which a restore
                # renumbers: `restore` rebuilds it.
                exclude=["interventions.SearchEntry", "interventions.SearchEntryText"],
                output=str(partial),
                verbosity=0,
            )
