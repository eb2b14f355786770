from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import Error as DatabaseFailure

from interventions.curation.load import LOCK_WAIT_SECONDS, load
from interventions.curation.problems import (
    CatalogueBusy,
    CatalogueInvalid,
    EditedEntries,
    first_line,
)
from interventions.curation.read import read_fixtures
from interventions.management import add_moved_flag, moved_flag_error


class Command(BaseCommand):
    help = (
        "Validate all fixtures and load them in one transaction (all or nothing). Stops without "
        "writing when an entry the fixtures change was edited in the admin, unless --overwrite. "
        "An intake form is loaded by load_intake."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures", type=Path, default=settings.FIXTURES_DIR, help="fixtures folder"
        )
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="load fixtures over entries edited in the admin (their history keeps the edit)",
        )
        add_moved_flag(parser, "--intake")

    def handle(self, *args, fixtures: Path, overwrite: bool, intake: str | None, **options):
        if intake is not None:
            raise moved_flag_error("load_catalogue", "--intake", "load_intake FILE")
        data, problems = read_fixtures(fixtures)
        try:
            if problems:
                raise CatalogueInvalid(problems)
            report = load(data, settings.SEEDS_DIR, overwrite=overwrite)
        except CatalogueInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(exc.problems)} problem(s) in the fixtures; the database was not changed."
            ) from None
        except EditedEntries as exc:
            for entry in exc.entries:
                self.stderr.write(str(entry))
            raise CommandError(
                f"{len(exc.entries)} entr{'y was' if len(exc.entries) == 1 else 'ies were'} "
                "edited in the admin after they were loaded, and the fixtures change them too; "
                "the database was not changed. Export the edits first (export_fixtures) or run "
                "again with --overwrite."
            ) from None
        except CatalogueBusy:
            raise CommandError(
                f"Another load or intake has held the catalogue for {LOCK_WAIT_SECONDS} s; "
                "the database was not changed. Try again when it has finished."
            ) from None
        except DatabaseFailure as exc:
            # A connection cut or a refusal half-way: the transaction was rolled back.
            raise CommandError(
                f"The database failed during the load ({first_line(exc)}); the load runs in "
                "one transaction, so nothing of it was saved. Run it again when the database "
                "is back."
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Loaded the catalogue: {report}."))
