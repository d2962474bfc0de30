from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "datasets"
    verbose_name = "Datasets (mask imports and exports)"

    def ready(self) -> None:
        from core import jobs

        from .job_kinds import EXPORT

        jobs.register(EXPORT)
