from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import Error as DatabaseFailure

from interventions.loading import first_line, read_fixtures, validate


class Command(BaseCommand):
    help = "Check every fixture file without writing to the database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures", type=Path, default=settings.FIXTURES_DIR, help="fixtures folder"
        )
        parser.add_argument(
            "--intake",
            type=Path,
            metavar="FILE",
            help="check one filled-in intake form (fixtures/intake/TEMPLATE.yaml); Danish report",
        )

    def handle(self, *args, fixtures: Path, intake: Path | None, **options):
        if intake is not None:
            from interventions.intake import read_intake

            try:
                checked, problems = read_intake(intake)
            except DatabaseFailure as exc:  # the vocabularies are looked up in the database
                raise CommandError(
                    f"Databasen svarer ikke ({first_line(exc)}); prøv igen senere."
                ) from None
            if problems:
                for problem in problems:
                    self.stderr.write(str(problem))
                raise CommandError(f"{len(problems)} fejl i {intake}; ret dem og prøv igen.")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Indberetningen er gyldig og kan indlæses som kladde: "
                    f"{checked.values['title']} ({checked.values['organisation']})."
                )
            )
            return
        data, problems = read_fixtures(fixtures)
        if not problems:
            problems = validate(data, settings.SEEDS_DIR)
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(problems)} problem(s) in the fixtures; nothing was loaded.")
        counts = Counter(source for _file, source, _entry in data.interventions())
        guidance = Counter(source for _file, source, _item in data.guidance())
        for source in sorted(counts | guidance):
            self.stdout.write(
                f"{source}: {counts[source]} interventions, {guidance[source]} guidance"
            )
        self.stdout.write(
            self.style.SUCCESS(f"The fixtures are valid: {sum(counts.values())} interventions.")
        )
