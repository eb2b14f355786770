from django.apps import AppConfig


class InterventionsConfig(AppConfig):
    name = "interventions"
    verbose_name = "Indsatser"

    def ready(self) -> None:
        from interventions.search import connect_signals

        connect_signals()  # renamed vocabulary terms refresh the entries' search texts

        from catalogue import checks  # noqa: F401  (registers the outage deploy checks)
        from interventions import caching  # noqa: F401  (connects the cache-invalidating signals)
