"""Pages: the list of sequences, importing one, and the annotation page."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from masks.segmenters import active_segmenter
from tags.api import tag_json
from tags.models import Tag

from .api import frame_json
from .forms import ImportSequenceForm
from .models import Frame, Sequence
from .services import ImportFailed, import_sequence


@login_required
def sequence_list(request: HttpRequest) -> HttpResponse:
    sequences = Sequence.objects.annotate(
        frame_count=Count("frames", distinct=True), mask_count=Count("frames__masks", distinct=True)
    )
    first_frames = {f.sequence_id: f for f in Frame.objects.filter(index=0, sequence__in=sequences)}
    rows = [(s, first_frames.get(s.id)) for s in sequences]
    return render(request, "sequences/sequence_list.html", {"rows": rows})


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    form = ImportSequenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = _import_uploads(form.cleaned_data, request.user)
        except ImportFailed as exc:
            form.add_error("files", str(exc))
        else:
            sequence = report.sequence
            messages.success(request, f"Imported {report.frame_count} frames into “{sequence.name}”.")
            for skipped in report.skipped[:20]:
                messages.warning(request, f"Skipped {skipped.name}: {skipped.reason}.")
            return redirect("sequences:annotate", sequence_id=sequence.id)
    return render(request, "sequences/import.html", {"form": form})


def _import_uploads(data: dict, user):
    """Put the uploaded files where the importer reads them: one file as is, several images in a folder."""
    files = data["files"]
    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        folder = Path(folder)
        for upload in files:
            target = folder / Path(upload.name).name
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
        source = folder / Path(files[0].name).name if len(files) == 1 else folder
        label = files[0].name if len(files) == 1 else f"{len(files)} uploaded images"
        return import_sequence(
            source=source, name=data["name"], procedure=data["procedure"], every_nth=data["every_nth"],
            description=data["description"], created_by=user, source_label=label,
        )


@login_required
def annotate(request: HttpRequest, sequence_id: int) -> HttpResponse:
    sequence = get_object_or_404(Sequence, pk=sequence_id)
    frames = list(sequence.frames.annotate(mask_count=Count("masks")).order_by("index"))
    if not frames:
        messages.error(request, f"“{sequence.name}” has no frames.")
        return redirect("sequences:list")
    start = request.GET.get("frame", "0")
    start = min(int(start), len(frames) - 1) if start.isdigit() else 0
    tags = Tag.objects.filter(is_active=True)
    preferred = [t for t in tags if t.procedure in ("", sequence.procedure)]
    _, status = active_segmenter()
    context = {
        "sequence": sequence,
        "segmenter": status,
        "page_data": {
            "sequence": {"id": sequence.id, "name": sequence.name, "procedure": sequence.procedure},
            "frames": [frame_json(f, f.mask_count) for f in frames],
            "start_index": start,
            "tags": [tag_json(t) for t in preferred],
            "segmenter": {"name": status.name, "kind": status.kind, "problem": status.problem},
            "urls": {
                "generate": "/generate_mask/",
                "masks": f"/api/sequences/{sequence.id}/masks/",
                "mask": "/api/masks/",
                "tag_masks": f"/api/sequences/{sequence.id}/tags/",
                "extrapolate": "/extrapolate_masks/",
                "jobs": f"/api/sequences/{sequence.id}/jobs/",
                "track": "/api/tracks/",
                "frames": f"/api/sequences/{sequence.id}/frames/",
                "embeddings": f"/api/sequences/{sequence.id}/embeddings/",
            },
        },
    }
    return render(request, "sequences/annotate.html", context)
