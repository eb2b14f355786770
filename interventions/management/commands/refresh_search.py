from django.core.management.base import BaseCommand

from interventions.changes import refresh_search_texts
from interventions.models import Intervention, SearchEntry


class Command(BaseCommand):
    help = "Rebuild every entry's search texts (after a change to how they are built)."

    def handle(self, *args, **options):
        changed = 0
        for intervention in Intervention.objects.with_relations().iterator(chunk_size=500):
            changed += refresh_search_texts(intervention)
        SearchEntry.rebuild()  # the lookup's copy of every entry's texts, whether changed or not
        self.stdout.write(f"{changed} entries' search texts rebuilt.")
