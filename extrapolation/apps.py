from django.apps import AppConfig


class ExtrapolationConfig(AppConfig):
    name = "extrapolation"
    verbose_name = "Extrapolation (mask propagation jobs)"
