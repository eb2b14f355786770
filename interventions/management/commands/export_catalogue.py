import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from interventions.export import catalogue_data


class Command(BaseCommand):
    help = "Write the published catalogue as JSON (the export format) to stdout or a file."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
        parser.add_argument(
            "--base-url", default="", help="prefix for entry URLs, e.g. https://example.dk"
        )

    def handle(self, *args, output: Path | None, base_url: str, **options):
        text = json.dumps(catalogue_data(base_url=base_url), ensure_ascii=False, indent=2)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"Wrote {output}")
        else:
            sys.stdout.write(text + "\n")
