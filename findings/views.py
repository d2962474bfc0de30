"""The bulk import page of findings (managers): a zip of class folders, or a CSV of findings."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import roles
from core.errors import InvalidInput
from core.uploads import show_upload_refusal

from .forms import ClassFoldersForm, FindingsCsvForm
from .imports import MAX_CSV_BYTES, import_class_zip, import_findings_csv


@login_required
def import_findings(request: HttpRequest) -> HttpResponse:
    roles.require(request.user, "sequences.add_framesequence", "Importing findings in bulk")  # before the forms
    which = request.POST.get("form") if request.method == "POST" else None
    folders = ClassFoldersForm(request.POST if which == "folders" else None,
                               request.FILES if which == "folders" else None)
    table = FindingsCsvForm(request.POST if which == "csv" else None, request.FILES if which == "csv" else None)
    if which == "folders":
        show_upload_refusal(request, folders, "archive")
        if folders.is_valid():
            data = folders.cleaned_data
            try:
                with tempfile.TemporaryDirectory(prefix="findings-upload-") as folder:
                    archive = Path(folder) / Path(data["archive"].name).name
                    with archive.open("wb") as out:
                        for chunk in data["archive"].chunks():
                            out.write(chunk)
                    report = import_class_zip(archive=archive, mapping=data["mapping"], procedure=data["procedure"],
                                              deidentify=data["deidentify"], created_by=request.user)
            except InvalidInput as exc:
                folders.add_error("archive", str(exc))
            else:
                messages.success(request, f"Imported {len(report.sequences)} images: "
                                 + ", ".join(f"{tag} {count}" for tag, count in report.per_tag.items()) + ".")
                for line in report.skipped[:20]:
                    messages.warning(request, f"Skipped {line}.")
                return redirect("findings:import")
    elif which == "csv":
        show_upload_refusal(request, table, "csv_file")
        if table.is_valid():
            upload = table.cleaned_data["csv_file"]
            try:
                if upload.size > MAX_CSV_BYTES:
                    raise InvalidInput(f"The CSV is {upload.size:,} bytes; at most {MAX_CSV_BYTES:,} are read.")
                report = import_findings_csv(data=upload.read(), created_by=request.user)
            except InvalidInput as exc:
                table.add_error("csv_file", str(exc))
            else:
                messages.success(request, f"{report.rows} rows: {len(report.findings)} findings recorded, "
                                          f"{report.already} already held.")
                return redirect("findings:import")
    return render(request, "findings/import.html", {"folders": folders, "table": table})
