from django.core.management.base import BaseCommand

from interventions.models import Intervention


class Command(BaseCommand):
    help = "Rebuild every entry's search texts (after a change to how they are built)."

    def handle(self, *args, **options):
        changed = 0
        for intervention in Intervention.objects.with_relations().iterator(chunk_size=500):
            changed += intervention.refresh_search_document()
        self.stdout.write(f"{changed} entries' search texts rebuilt.")
