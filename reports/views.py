"""Pages and exports of procedure reports: the list, one report (printable), its JSON and its CSV."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from core.api import get_or_404, json_view

from . import selectors
from .models import ProcedureReport


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/report_list.html", {"reports": selectors.report_list()[:200]})


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(ProcedureReport.objects.select_related("sequence", "live_video", "model"), pk=report_id)
    data = selectors.report_json(report)
    lanes = selectors.timeline_lanes(report)
    return render(request, "reports/report_detail.html", {
        "report": report, "data": data, "lanes": lanes, "timeline_height": max(22, 22 * len(lanes)),
        "indicators": data["indicators"],
    })


@json_view(("GET",))
def report_json(request: HttpRequest, report_id: int):
    return selectors.report_json(get_or_404(ProcedureReport, report_id, "procedure report"))


@login_required
def report_csv(request: HttpRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(ProcedureReport, pk=report_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="procedure-report-{report.id}.csv"'
    writer = csv.writer(response)
    writer.writerow(selectors.CSV_COLUMNS)
    writer.writerows(selectors.report_rows(report))
    return response
