import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from interventions.export import catalogue_data
from interventions.fixture_format import export_fixtures


class Command(BaseCommand):
    help = (
        "Write the published catalogue as JSON (the export format) to stdout or a file, or with "
        "--fixtures write the whole database back into the fixture files."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
        parser.add_argument(
            "--base-url", default="", help="prefix for entry URLs, e.g. https://example.dk"
        )
        parser.add_argument(
            "--fixtures",
            nargs="?",
            type=Path,
            const=settings.FIXTURES_DIR,
            metavar="DIR",
            help="write drafts and published entries into the fixture files in DIR "
            "(default: the project's fixtures/), keeping each file's curated style",
        )

    def handle(self, *args, output: Path | None, base_url: str, fixtures: Path | None, **options):
        if fixtures is not None:
            changed = export_fixtures(fixtures)
            for path in changed:
                self.stdout.write(f"Wrote {path}")
            self.stdout.write(
                self.style.SUCCESS(f"{len(changed)} fixture file(s) changed in {fixtures}.")
            )
            return
        text = json.dumps(catalogue_data(base_url=base_url), ensure_ascii=False, indent=2)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"Wrote {output}")
        else:
            sys.stdout.write(text + "\n")
