from django.apps import AppConfig


class ExtrapolationConfig(AppConfig):
    name = "extrapolation"
    verbose_name = "Extrapolation (mask propagation jobs)"

    def ready(self) -> None:
        from core import jobs
        from masks import signals

        from . import receivers
        from .job_kinds import EXTRAPOLATION

        jobs.register(EXTRAPOLATION)

        signals.proposal_rejected.connect(receivers.on_proposal_rejected, dispatch_uid="extrapolation-rejected")
        signals.proposal_restored.connect(receivers.on_proposal_restored, dispatch_uid="extrapolation-restored")
        signals.mask_corrected.connect(receivers.on_mask_corrected, dispatch_uid="extrapolation-corrected")
