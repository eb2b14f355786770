from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import Error as DatabaseFailure
from django.urls import reverse

from interventions.curation.intake import IntakeInvalid, load_intake
from interventions.curation.load import LOCK_WAIT_SECONDS
from interventions.curation.problems import CatalogueBusy, first_line


class Command(BaseCommand):
    help = (
        "Load one filled-in intake form (fixtures/intake/TEMPLATE.yaml) as a draft for an "
        "editor to review and publish; the report is in Danish. check_intake checks one."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the filled-in intake form")

    def handle(self, *args, file: Path, **options):
        try:
            obj = load_intake(file)
        except IntakeInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(exc.problems)} fejl i {file}; intet er indlæst.") from None
        except CatalogueBusy:
            raise CommandError(
                f"En anden indlæsning har holdt kataloget i {LOCK_WAIT_SECONDS} s; intet er "
                "indlæst. Prøv igen, når den er færdig."
            ) from None
        except DatabaseFailure as exc:
            raise CommandError(
                f"Databasen svigtede under indlæsningen ({first_line(exc)}); intet er "
                "indlæst. Prøv igen, når databasen er tilbage."
            ) from None
        admin_url = reverse("admin:interventions_intervention_change", args=[obj.pk])
        self.stdout.write(
            self.style.SUCCESS(
                f"Indlæst som kladde: {obj.title} ({obj.slug}). Gennemse og offentliggør den "
                f"i administrationen: {admin_url}"
            )
        )
