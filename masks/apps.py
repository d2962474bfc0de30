from django.apps import AppConfig


class MasksConfig(AppConfig):
    name = "masks"
    verbose_name = "Masks"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the segmenter configuration check)
