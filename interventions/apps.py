from django.apps import AppConfig


class InterventionsConfig(AppConfig):
    name = "interventions"
    verbose_name = "Indsatser"

    def ready(self) -> None:
        # Importing connects them; both modules need the models, hence here and not at the top.
        from catalogue import checks  # noqa: F401  (the outage deploy checks)
        from interventions import signals  # noqa: F401  (every receiver of the app)
