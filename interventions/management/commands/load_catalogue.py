from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from interventions.loading import CatalogueInvalid, load, read_fixtures


class Command(BaseCommand):
    help = "Validate all fixtures and load them in one transaction (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures", type=Path, default=settings.FIXTURES_DIR, help="fixtures folder"
        )

    def handle(self, *args, fixtures: Path, **options):
        data, problems = read_fixtures(fixtures)
        try:
            if problems:
                raise CatalogueInvalid(problems)
            report = load(data, settings.SEEDS_DIR)
        except CatalogueInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(exc.problems)} problem(s) in the fixtures; the database was not changed."
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Loaded the catalogue: {report}."))
