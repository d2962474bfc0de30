from django.core.management.base import BaseCommand, CommandError

from core.errors import InvalidInput
from core.jobs import job_status_json
from extrapolation.services import run_extrapolation, start_extrapolation
from masks.models import Mask


class Command(BaseCommand):
    help = "Propagate a manual mask (and the other keyframes of its track) through its sequence."

    def add_arguments(self, parser):
        parser.add_argument("mask_id", type=int, help="A mask made by hand: the keyframe.")
        parser.add_argument(
            "--here", action="store_true",
            help="Run the job in this process and wait for it, instead of queueing it for a worker.",
        )

    def handle(self, *args, mask_id: int, here: bool, **options):
        mask = Mask.objects.select_related("frame").filter(pk=mask_id).first()
        if mask is None:
            raise CommandError(f"No mask with id {mask_id}.")
        try:
            job = start_extrapolation(keyframe=mask, enqueue=not here)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        if here:
            run_extrapolation(str(job.id))
            job.refresh_from_db()
            info = job_status_json(job)
            self.stdout.write(
                f"Job {job.id}: {info['state']}, {info['written']} masks written, "
                f"{info['left_to_annotator']} frames left to the annotator."
            )
        else:
            self.stdout.write(str(job.id))
