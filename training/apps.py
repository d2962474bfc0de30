from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Training (segmentation networks)"

    def ready(self) -> None:
        from core import jobs

        from .job_kinds import PREANNOTATION, TRAINING_RUN

        jobs.register(TRAINING_RUN)
        jobs.register(PREANNOTATION)
