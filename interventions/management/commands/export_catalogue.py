import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from interventions.curation.export import catalogue_data
from interventions.management import add_moved_flag, moved_flag_error


class Command(BaseCommand):
    help = (
        "Write the published catalogue as JSON (the export format) to stdout or a file. "
        "export_fixtures writes the database back into the fixture files."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
        parser.add_argument(
            "--base-url", default="", help="prefix for entry URLs, e.g. https://example.dk"
        )
        add_moved_flag(parser, "--fixtures")

    def handle(self, *args, output: Path | None, base_url: str, fixtures: str | None, **options):
        if fixtures is not None:
            raise moved_flag_error("export_catalogue", "--fixtures", "export_fixtures [DIR]")
        text = json.dumps(catalogue_data(base_url=base_url), ensure_ascii=False, indent=2)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"Wrote {output}")
        else:
            sys.stdout.write(text + "\n")
