from django.apps import AppConfig


class InterventionsConfig(AppConfig):
    name = "interventions"
    verbose_name = "Indsatser"

    def ready(self) -> None:
        from interventions import caching  # noqa: F401  (connects the cache-invalidating signals)
