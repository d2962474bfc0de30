"""Pages of the review: the list of sequences with their progress, a sequence's page (statistics, effort, status,
deleting it) and the annotation page. Named in the ``sequences`` namespace (``sequences:annotate``...), as before
this app existed: annotator/urls.py includes them there beside sequences' import page."""

from __future__ import annotations

import os

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import roles
from core.api import parse_natural
from core.errors import InvalidInput
from masks.models import Mask
from masks.segmenters import active_segmenter
from masks.selectors import sequence_effort
from sequences.models import Frame, FrameSequence
from sequences.services import delete_sequence
from tags.api import tag_json
from tags.models import Procedure, Tag

from .selectors import sequence_statistics
from .services import set_status

LIST_PAGE_SIZE = 50
_ANY_ID = 987654321  # stands for the id the annotation page appends to a URL prefix


def _prefix(name: str, *args) -> str:
    """The URL of ``name`` up to its last id: the page appends the id (and what follows it)."""
    url = reverse(name, args=[*args, _ANY_ID])
    return url[: url.index(str(_ANY_ID))]


def _page_urls(sequence_id: int) -> dict[str, str]:
    """The API the annotation page talks to, by the URLs' names."""
    def of(name: str) -> str:
        return reverse(f"api:{name}", args=[sequence_id])

    return {
        "generate": reverse("api:generate-mask"), "extrapolate": reverse("api:extrapolate-masks"),
        "masks": of("masks"), "jobs": of("sequence-jobs"), "frames": of("frames"), "embeddings": of("embeddings"),
        "timeline": of("timeline"), "review": of("sequence-review"), "status": of("sequence-status"),
        "findings": of("findings"),
        "mask": _prefix("api:mask"), "track": _prefix("api:track"), "finding": _prefix("api:finding"),
        "tag_masks": _prefix("api:tag-masks", sequence_id),
    }


@login_required
def sequence_list(request: HttpRequest) -> HttpResponse:
    """Sequences with their counts; search by name, filter by procedure and status."""
    query = request.GET.get("q", "").strip()
    procedure = request.GET.get("procedure", "")
    status = request.GET.get("status", "")
    sequences = FrameSequence.objects.all()
    if query:
        sequences = sequences.filter(name__icontains=query)
    if procedure in Procedure.values:
        sequences = sequences.filter(procedure=procedure)
    if status in FrameSequence.Status.values:
        sequences = sequences.filter(status=status)
    page = Paginator(sequences.select_related("created_by"), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    ids = [s.id for s in page]
    stats = sequence_statistics(sequence_ids=ids)
    first_frames = {f.sequence_id: f for f in Frame.objects.filter(index=0, sequence_id__in=ids)}
    rows = [(s, first_frames.get(s.id), stats[s.id]) for s in page]
    context = {
        "rows": rows, "page": page, "query": query, "procedure": procedure, "status": status,
        "procedures": Procedure.choices, "statuses": FrameSequence.Status.choices,
        "filtered": bool(query or procedure or status),
    }
    return render(request, "sequences/sequence_list.html", context)


@login_required
def sequence_detail(request: HttpRequest, sequence_id: int) -> HttpResponse:
    """A sequence's page: its status, per-tag statistics, and the way to annotate it."""
    sequence = get_object_or_404(FrameSequence.objects.select_related("created_by"), pk=sequence_id)
    return _detail_page(request, sequence)


def _detail_page(
    request: HttpRequest, sequence: FrameSequence, *, status_error: str = "", code: int = 200
) -> HttpResponse:
    stats = sequence_statistics(sequence_ids=[sequence.id])[sequence.id]
    effort = sequence_effort(sequence_id=sequence.id)
    tags = {t.id: t for t in Tag.objects.filter(id__in=effort.tags)}
    effort_rows = [(tags[tag_id], line) for tag_id, line in effort.tags.items()]
    effort_rows.sort(key=lambda row: (row[0].order, row[0].kind, row[0].name))
    first = sequence.frames.filter(index=0).first()
    context = {
        "sequence": sequence, "stats": stats, "first": first, "statuses": FrameSequence.Status.choices,
        "status_error": status_error, "effort": effort.total, "effort_rows": effort_rows,
    }
    return render(request, "sequences/sequence_detail.html", context, status=code)


@login_required
@require_POST
def sequence_status(request: HttpRequest, sequence_id: int) -> HttpResponse:
    """Set a sequence's status from the list or the sequence page, then go back there. A refusal is the sequence
    page's form error (the list, which has no room for one, shows it as a message)."""
    sequence = get_object_or_404(FrameSequence, pk=sequence_id)
    back = request.POST.get("next", "")
    back = back if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) else ""
    try:
        set_status(sequence=sequence, status=request.POST.get("status", ""), user=request.user)
    except InvalidInput as exc:
        if not back:
            sequence.refresh_from_db()
            return _detail_page(request, sequence, status_error=str(exc), code=400)
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{sequence.name}” is now {sequence.get_status_display().lower()}.")
    return redirect(back) if back else redirect("sequences:detail", sequence_id=sequence.id)


@login_required
def sequence_delete(request: HttpRequest, sequence_id: int) -> HttpResponse:
    """Delete a sequence (a manager's write): a confirmation page that says what goes, then the POST that deletes
    the rows, and the files once that has committed (the same service as the admin's delete)."""
    sequence = get_object_or_404(FrameSequence, pk=sequence_id)
    roles.require(request.user, "sequences.delete_framesequence", f"Deleting “{sequence.name}”")
    if request.method == "POST":
        delete_sequence(sequence=sequence, user=request.user)
        messages.success(request, f"“{sequence.name}” was deleted with its frames, masks and findings.")
        return redirect("sequences:list")
    stats = sequence_statistics(sequence_ids=[sequence.id])[sequence.id]
    return render(request, "sequences/sequence_delete.html", {"sequence": sequence, "stats": stats})


def compact_frames(sequence: FrameSequence) -> dict:
    """The frames of the annotation page as parallel arrays, in index order.

    A 5,000-frame sequence would otherwise weigh a few hundred kB of repeated keys and URLs: image and
    thumbnail names share a long prefix, sent once. No model instance is built (values only).
    """
    rows = list(sequence.frames.order_by("index").values_list("id", "image", "thumbnail", "width", "height"))
    counts = dict(
        Mask.objects.filter(frame__sequence=sequence).values_list("frame__index").annotate(n=Count("id"))
    )
    images = [r[1] for r in rows]
    thumbnails = [r[2] for r in rows]
    image_prefix = os.path.commonprefix(images)
    thumbnail_prefix = os.path.commonprefix(thumbnails)
    sizes = {(r[3], r[4]) for r in rows}
    return {
        "count": len(rows),
        "ids": [r[0] for r in rows],
        "media_url": settings.MEDIA_URL,
        "image_prefix": image_prefix,
        "images": [name[len(image_prefix):] for name in images],
        "thumbnail_prefix": thumbnail_prefix,
        "thumbnails": [name[len(thumbnail_prefix):] for name in thumbnails],
        # Frames of a sequence nearly always share one size: then it is sent once.
        "size": list(next(iter(sizes))) if len(sizes) == 1 else None,
        "sizes": None if len(sizes) == 1 else [[r[3], r[4]] for r in rows],
        "mask_counts": [counts.get(i, 0) for i in range(len(rows))],
    }


@login_required
def annotate(request: HttpRequest, sequence_id: int) -> HttpResponse:
    sequence = get_object_or_404(FrameSequence, pk=sequence_id)
    frames = compact_frames(sequence)
    if not frames["count"]:
        messages.error(request, f"“{sequence.name}” has no frames.")
        return redirect("sequences:list")
    start = min(parse_natural(request.GET.get("frame", "0")) or 0, frames["count"] - 1)
    tags = Tag.objects.filter(is_active=True)
    preferred = [t for t in tags if t.procedure in ("", sequence.procedure)]
    _, status = active_segmenter()
    context = {
        "sequence": sequence,
        "segmenter": status,
        "statuses": FrameSequence.Status.choices,
        "page_data": {
            "sequence": {
                "id": sequence.id, "name": sequence.name, "procedure": sequence.procedure, "status": sequence.status,
            },
            "frames": frames,
            "start_index": start,
            "tags": [tag_json(t) for t in preferred],
            # Names and colours of every tag, for the timeline rows of tags not offered for new masks.
            "all_tags": [[t.id, t.name, t.color] for t in Tag.objects.all()],
            "low_confidence": Mask.LOW_CONFIDENCE,
            "segmenter": {"name": status.name, "kind": status.kind, "problem": status.problem},
            "urls": _page_urls(sequence.id),
        },
    }
    return render(request, "sequences/annotate.html", context)
