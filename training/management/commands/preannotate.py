from django.core.management.base import BaseCommand, CommandError

from core.errors import InvalidInput
from core.jobs import job_status_json
from sequences.models import FrameSequence
from training.models import PreannotationJob, TrainedModel
from training.preannotation import run_preannotation, start_preannotation


class Command(BaseCommand):
    help = "Run a trained model over a sequence: its masks arrive as proposals to accept, correct or reject."

    def add_arguments(self, parser):
        parser.add_argument("model_id", type=int, help="A trained model.")
        parser.add_argument("sequence_id", type=int, help="The sequence to pre-annotate.")
        parser.add_argument(
            "--here", action="store_true",
            help="Run the job in this process and wait for it, instead of queueing it for a worker.",
        )

    def handle(self, *args, model_id: int, sequence_id: int, here: bool, **options):
        model = TrainedModel.objects.filter(pk=model_id).first()
        if model is None:
            raise CommandError(f"No trained model with id {model_id}.")
        sequence = FrameSequence.objects.filter(pk=sequence_id).first()
        if sequence is None:
            raise CommandError(f"No sequence with id {sequence_id}.")
        try:
            job = start_preannotation(model=model, sequence=sequence, enqueue=not here)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        if not here:
            self.stdout.write(str(job.id))
            return
        run_preannotation(job.id)
        info = job_status_json(PreannotationJob.objects.get(pk=job.id))
        self.stdout.write(
            f"Job {job.id}: {info['state']}, {info['written']} proposals written on {info['done']} frames, "
            f"{info['replaced']} earlier unreviewed proposals replaced."
        )
        if info["state"] == PreannotationJob.State.FAILED:
            raise CommandError(info["error"])
