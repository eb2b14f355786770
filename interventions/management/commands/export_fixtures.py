from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from interventions.curation.write_back import export_fixtures


class Command(BaseCommand):
    help = (
        "Write the whole database (drafts and published entries) back into the fixture files, "
        "keeping each file's curated style."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "directory",
            nargs="?",
            type=Path,
            default=settings.FIXTURES_DIR,
            help="the fixtures folder (default: the project's fixtures/)",
        )

    def handle(self, *args, directory: Path, **options):
        changed = export_fixtures(directory)
        for path in changed:
            self.stdout.write(f"Wrote {path}")
        self.stdout.write(
            self.style.SUCCESS(f"{len(changed)} fixture file(s) changed in {directory}.")
        )
