"""Reading procedure reports: lists, and a report as JSON or CSV rows with the frames behind each figure."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse

from .models import ProcedureReport


def report_list() -> QuerySet[ProcedureReport]:
    return ProcedureReport.objects.select_related("sequence", "live_video", "model", "created_by").defer(
        "probabilities", "detections", "frame_indices")


def frame_url(report: ProcedureReport, position: int | None) -> str | None:
    """The annotation page at the played frame ``position`` (None when the frames are not stored)."""
    if position is None or report.sequence_id is None or not 0 <= position < len(report.frame_indices):
        return None
    index = report.frame_indices[position]
    if index is None:
        return None
    return f"{reverse('sequences:annotate', args=[report.sequence_id])}?frame={index}"


def report_json(report: ProcedureReport) -> dict:
    """The report's figures with, for each, the link to the frames behind it (``*_url``)."""
    data = dict(report.data)

    def link(position: int | None) -> str | None:
        return frame_url(report, position)

    for stretch in data.get("timeline", []):
        stretch["url"] = link(stretch["first_frame"])
    for landmark in data.get("landmarks", {}).values():
        landmark["url"] = link(landmark["first_frame"])
    for lesion in data.get("lesions", []):
        lesion["first_url"], lesion["largest_url"] = link(lesion["first_frame"]), link(lesion["largest_frame"])
        lesion["thumbnail"] = report.thumbnails.get(str(lesion["number"]))
    for indicator in data.get("indicators", {}).values():
        if "first_frame" in indicator:
            indicator["url"] = link(indicator["first_frame"])
        for stretch in indicator.get("stretches", []):
            stretch["url"] = link(stretch["first_frame"])
    return {
        "id": report.id, "source": report.source, "sequence_id": report.sequence_id,
        "sequence": report.sequence.name if report.sequence else None,
        "live_video_id": report.live_video_id, "model_id": report.model_id,
        "model": report.model.name if report.model else None, "created_at": report.created_at.isoformat(),
        **data,
    }


CSV_COLUMNS = ["section", "name", "value", "unit", "first_frame", "last_frame", "seconds", "confidence", "link"]


def report_rows(report: ProcedureReport) -> list[list]:
    """The report as CSV rows (:data:`CSV_COLUMNS`): one per indicator, landmark, lesion and timeline stretch.
    Frames are sequence indices (0-based) where the sequence's frames are stored, else played positions."""
    data = report_json(report)

    def index(position: int | None) -> int | None:
        if position is None or not report.frame_indices or report.frame_indices[position] is None:
            return position
        return report.frame_indices[position]

    rows: list[list] = []
    for key, item in data["indicators"].items():
        if "share" in item:
            value, unit = round(item["share"], 4), "share of frames in the body"
        elif key == "caecum":
            value, unit = item["reached"], "reached"
        elif key == "stations":
            value, unit = len(item["seen"]), f"of {len(item['of'])} stations"
        elif key == "lesions":
            value, unit = item["count"], "lesions"
        else:
            value, unit = None if item.get("seconds") is None else round(item["seconds"], 1), "seconds"
        rows.append(["indicator", item["label"], value, unit, index(item.get("first_frame")),
                     index(item.get("last_frame")), item.get("seconds"), None, item.get("url")])
    for name, landmark in data["landmarks"].items():
        rows.append(["landmark", name, landmark["reached"], "reached", index(landmark["first_frame"]), None,
                     landmark["seconds"], landmark["confidence"], landmark["url"]])
    for lesion in data["lesions"]:
        rows.append(["lesion", f"{lesion['tag']} {lesion['number']}", round(lesion["largest_share"], 4),
                     "largest share of the frame", index(lesion["first_frame"]), index(lesion["last_frame"]),
                     round(lesion["first_seconds"], 2), None, lesion["first_url"]])
    for stretch in data["timeline"]:
        rows.append(["timeline", stretch["name"], round(stretch["end_seconds"] - stretch["start_seconds"], 2),
                     "seconds", index(stretch["first_frame"]), index(stretch["last_frame"]),
                     round(stretch["start_seconds"], 2), round(stretch["confidence"], 3), stretch["url"]])
    return rows


def timeline_lanes(report: ProcedureReport, *, width: float = 1000.0) -> list[dict]:
    """The timeline drawn as lanes (one per finding with a stretch, landmarks first): each stretch's x and width
    on a ``width``-wide axis, its link, confidence and times, for the page's SVG."""
    data = report_json(report)
    total = max(data.get("seconds", 0) or 0, 1e-9)
    order = {"landmark": 0, "quality": 1, "pathology": 2}
    names = sorted({s["name"] for s in data.get("timeline", [])},
                   key=lambda n: (order.get(report.kinds.get(n, ""), 3), data["names"].index(n)))
    lanes = []
    for row, name in enumerate(names):
        stretches = [{
            "x": round(s["start_seconds"] / total * width, 2),
            "width": round(max(1.0, (s["end_seconds"] - s["start_seconds"]) / total * width), 2),
            "url": s["url"], "confidence": s["confidence"], "start": s["start_seconds"], "end": s["end_seconds"],
        } for s in data["timeline"] if s["name"] == name]
        lanes.append({"name": name, "kind": report.kinds.get(name, ""), "y": row * 22, "stretches": stretches})
    return lanes
