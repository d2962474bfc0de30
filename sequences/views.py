"""Pages of sequences: importing one (the list, a sequence's page and the annotation page are the review app's)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import roles
from core.uploads import show_upload_refusal

from .forms import ImportSequenceForm
from .services import ImportFailed, import_sequence


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    roles.require(request.user, "sequences.add_framesequence", "Importing a sequence")  # before the form, not after
    form = ImportSequenceForm(request.POST or None, request.FILES or None)
    show_upload_refusal(request, form, "files")  # files stopped while streaming in
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
            try:
                out = target.open("xb")  # never over another upload of the same name: that frame would be lost
            except FileExistsError as exc:
                raise ImportFailed(f"Several uploaded files are named {target.name}; nothing was imported.") from exc
            with out:
                for chunk in upload.chunks():
                    out.write(chunk)
        source = folder / Path(files[0].name).name if len(files) == 1 else folder
        label = files[0].name if len(files) == 1 else f"{len(files)} uploaded images"
        return import_sequence(
            source=source, name=data["name"], procedure=data["procedure"], every_nth=data["every_nth"],
            description=data["description"], created_by=user, source_label=label, deidentify=data["deidentify"],
        )


