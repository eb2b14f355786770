from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from interventions.curation.read import read_fixtures
from interventions.curation.validate import validate
from interventions.management import add_moved_flag, moved_flag_error


class Command(BaseCommand):
    help = (
        "Check every fixture file without writing to the database. An intake form is checked "
        "by check_intake."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures", type=Path, default=settings.FIXTURES_DIR, help="fixtures folder"
        )
        add_moved_flag(parser, "--intake")

    def handle(self, *args, fixtures: Path, intake: str | None, **options):
        if intake is not None:
            raise moved_flag_error("validate_catalogue", "--intake", "check_intake FILE")
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
