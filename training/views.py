"""Pages: training runs (start one, watch one) and the trained models."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core import jobs
from core.api import json_errors
from core.errors import InvalidInput
from core.uploads import show_upload_refusal
from sequences.models import FrameSequence

from . import live_streams, live_videos, preannotation, selectors, services
from .forms import LiveVideoForm, PreannotationForm, TrainingForm
from .models import LiveVideo, TrainedModel, TrainingRun


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    form = TrainingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        init = data["init_model"]
        try:
            config = services.train_config(
                epochs=data["epochs"], minutes=data["minutes"], input_size=services.INPUT_SIZES[data["input_size"]],
                findings_head=data["findings_head"], architecture=data["architecture"],
                init=str(selectors.checkpoint_path(init)) if init else None,
            )
            run = services.start_training(name=data["name"], config=config, export=data["export"],
                                          created_by=request.user)
        except InvalidInput as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Training run “{run.name}” queued.")
            if not data["export"].split.get("val"):
                messages.warning(request, (
                    f"Export “{data['export'].name}” has no validation sequence: the run holds out a contiguous "
                    "block of frames at the end of each training sequence for validation; that Dice is optimistic."
                ))
            return redirect("training:run", run_id=run.id)
    return render(request, "training/run_list.html", {
        "form": form, "runs": selectors.run_list()[:50], "models": selectors.model_list()[:50],
    })


@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(TrainingRun.objects.select_related("export"), pk=run_id)
    return render(request, "training/run_detail.html", {"run": run, "status": jobs.job_status_json(run)})


@login_required
@require_POST
def run_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    run = jobs.cancel(get_object_or_404(TrainingRun, pk=run_id), user=request.user)
    messages.info(request, f"Training run “{run.name}”: {'stopping' if run.is_active else run.get_state_display()}.")
    return redirect("training:run", run_id=run.id)


@login_required
def model_list(request: HttpRequest) -> HttpResponse:
    return _models_page(request, LiveVideoForm())


def _models_page(request: HttpRequest, video_form: LiveVideoForm) -> HttpResponse:
    return render(request, "training/model_list.html", {
        "models": selectors.model_list(), "form": PreannotationForm(),
        "preannotations": selectors.preannotation_list()[:20],
        "videos": selectors.live_video_list(), "video_form": video_form,
    })


@login_required
@require_POST
def model_preannotate(request: HttpRequest, model_id: int) -> HttpResponse:
    """Run a model over the chosen sequence (a background job); its masks arrive as proposals to review."""
    model = get_object_or_404(TrainedModel, pk=model_id)
    form = PreannotationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a sequence to pre-annotate.")
        return redirect("training:models")
    sequence = form.cleaned_data["sequence"]
    try:
        job = preannotation.start_preannotation(model=model, sequence=sequence, created_by=request.user)
    except InvalidInput as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Pre-annotation of “{sequence}” by model “{model.name}” queued (job {job.id}).")
    return redirect("training:models")


@login_required
def model_download(request: HttpRequest, model_id: int) -> FileResponse:
    model = get_object_or_404(TrainedModel, pk=model_id)
    path = selectors.checkpoint_path(model)
    if not path.is_file():
        raise Http404(f"The checkpoint of model {model_id} is missing.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


@login_required
def model_live(request: HttpRequest, model_id: int, sequence_id: int) -> HttpResponse:
    """Online mode: the sequence plays at its frame rate with the model's masks and findings drawn on it."""
    model = get_object_or_404(TrainedModel, pk=model_id)
    sequence = get_object_or_404(FrameSequence, pk=sequence_id)
    return _live_page(request, model, sequence, frame_count=sequence.frames.count(),
                      stream_url=reverse("training:model-live-stream", args=[model.id, sequence.id]))


@login_required
def model_live_video(request: HttpRequest, model_id: int, video_id: int) -> HttpResponse:
    """Online mode over an uploaded video file, decoded as it plays, at the video's own frame rate."""
    model = get_object_or_404(TrainedModel, pk=model_id)
    video = get_object_or_404(LiveVideo, pk=video_id)
    return _live_page(request, model, video, frame_count=video.frame_count or None,
                      stream_url=reverse("training:model-live-video-stream", args=[model.id, video.id]))


def _live_page(request: HttpRequest, model: TrainedModel, source: FrameSequence | LiveVideo, *, frame_count: int | None,
               stream_url: str) -> HttpResponse:
    return render(request, "training/model_live.html", {
        "model": model, "source": source, "fps": source.fps or live_streams.DEFAULT_LIVE_FPS,
        "frame_count": frame_count, "stream_url": stream_url,
    })


@login_required
@require_GET
@json_errors  # the live page's script reads why a stream was refused
def model_live_stream(request: HttpRequest, model_id: int, sequence_id: int) -> HttpResponse:
    """The live page's frames as Server-Sent Events over one connection; ``?fps=`` overrides the sequence's
    rate (0: unpaced), ``?loop=1`` plays again from the start until the client goes."""
    model = get_object_or_404(TrainedModel, pk=model_id)
    return _live_stream(request, model, get_object_or_404(FrameSequence, pk=sequence_id))


@login_required
@require_GET
@json_errors
def model_live_video_stream(request: HttpRequest, model_id: int, video_id: int) -> HttpResponse:
    """As :func:`model_live_stream`, over an uploaded video file."""
    model = get_object_or_404(TrainedModel, pk=model_id)
    return _live_stream(request, model, get_object_or_404(LiveVideo, pk=video_id))


def _live_stream(request: HttpRequest, model: TrainedModel, source: FrameSequence | LiveVideo) -> HttpResponse:
    # GET only: a HEAD request would make the development server play the whole (looping) stream unsent.
    fps = None
    if request.GET.get("fps"):
        try:
            fps = float(request.GET["fps"])
        except ValueError:
            fps = -1.0
        if not 0 <= fps <= 240:
            raise InvalidInput("fps must be a number from 0 to 240.")
    events = live_streams.live_stream(model=model, source=source, fps=fps, loop=request.GET.get("loop") == "1")
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy in front must pass each event on at once
    return response


@login_required
@require_POST
def live_video_upload(request: HttpRequest) -> HttpResponse:
    """Upload a video file and play it live with the chosen model; a rejected file: the models page with why."""
    form = LiveVideoForm(request.POST, request.FILES)
    show_upload_refusal(request, form, "video")  # files stopped while streaming in
    if form.is_valid():
        data = form.cleaned_data
        try:
            video = live_videos.upload_live_video(upload=data["video"], name=data["name"], created_by=request.user)
        except InvalidInput as exc:
            form.add_error("video", str(exc))
        else:
            return redirect("training:model-live-video", model_id=data["model"].id, video_id=video.id)
    return _models_page(request, form)


@login_required
@require_POST
def live_video_delete(request: HttpRequest, video_id: int) -> HttpResponse:
    video = get_object_or_404(LiveVideo, pk=video_id)
    live_videos.delete_live_video(video=video, user=request.user)
    messages.info(request, f"Video “{video.name}” deleted.")
    return redirect("training:models")
