from django.apps import AppConfig


class ReviewConfig(AppConfig):
    """The review surface: the sequence list and page with their statistics, the annotation page, its timeline and
    review order, and a sequence's status. It reads sequences, masks, findings and extrapolation; none of them
    reads it."""

    name = "review"
    verbose_name = "Review"
