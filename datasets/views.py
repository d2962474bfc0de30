"""Pages: the list of exports with a form to create one, and downloading an export's zip."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import roles
from core import jobs
from core.errors import InvalidInput

from . import selectors, services
from .forms import ExportForm
from .models import DatasetExport


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            export = services.create_export(
                name=data["name"], sequences=data["sequences"], tags=data["tags"],
                include_propagated=data["include_propagated"],
                fractions=(data["train_fraction"], data["val_fraction"], data["test_fraction"]),
                seed=data["seed"], created_by=request.user,
            )
        except InvalidInput as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Export “{export.name}” queued.")
            for warning in export.split_warnings:  # said now, before anyone trains on it
                messages.warning(request, f"Export “{export.name}”: {warning}")
            return redirect("datasets:list")
    return render(request, "datasets/export_list.html", {"form": form, "exports": selectors.export_list()})


@login_required
def download(request: HttpRequest, export_id: int) -> FileResponse:
    export = get_object_or_404(DatasetExport, pk=export_id)
    roles.require(request.user, "datasets.export", f"Downloading export {export.id}")
    if export.state != DatasetExport.State.SUCCEEDED or not export.file:
        raise Http404(f"Export {export_id} has no zip yet ({export.state}).")
    path = services.export_path(export.file.name)
    if not path.is_file():
        raise Http404(f"The zip of export {export_id} is missing.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name, content_type="application/zip")


@login_required
@require_POST
def cancel(request: HttpRequest, export_id: int) -> HttpResponse:
    export = jobs.cancel(get_object_or_404(DatasetExport, pk=export_id), user=request.user)
    messages.info(request, f"Export “{export.name}”: {export.get_state_display().lower()}"
                           f"{' (stopping)' if export.is_active else ''}.")
    return redirect("datasets:list")
