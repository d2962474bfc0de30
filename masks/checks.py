"""Start-up check: a configured SAM that cannot be used is reported before the first request."""

from django.core import checks

from .segmenters import sam_configuration_problem


@checks.register()
def check_segmenter(app_configs, **kwargs) -> list[checks.CheckMessage]:
    problem = sam_configuration_problem()
    if problem is None:
        return []
    return [
        checks.Warning(
            f"SAM cannot be used: {problem}",
            hint="Fix SAM_CHECKPOINT / SAM_MODEL_TYPE (see .env.example); meanwhile the CPU default segmenter is used.",
            id="masks.W001",
        )
    ]
