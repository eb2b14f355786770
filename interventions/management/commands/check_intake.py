from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import Error as DatabaseFailure

from interventions.curation.intake import read_intake
from interventions.curation.problems import first_line


class Command(BaseCommand):
    help = (
        "Check one filled-in intake form (fixtures/intake/TEMPLATE.yaml) without writing to the "
        "database; the report is in Danish. load_intake loads it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the filled-in intake form")

    def handle(self, *args, file: Path, **options):
        try:
            checked, problems = read_intake(file)
        except DatabaseFailure as exc:  # the vocabularies are looked up in the database
            raise CommandError(
                f"Databasen svarer ikke ({first_line(exc)}); prøv igen senere."
            ) from None
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(problems)} fejl i {file}; ret dem og prøv igen.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Indberetningen er gyldig og kan indlæses som kladde: "
                f"{checked.values['title']} ({checked.values['organisation']})."
            )
        )
