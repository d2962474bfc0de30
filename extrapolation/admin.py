from django.contrib import admin

from masks.models import Mask
from sequences.models import frame_number

from .models import ExtrapolationJob, RejectedFrame


@admin.register(ExtrapolationJob)
class ExtrapolationJobAdmin(admin.ModelAdmin):
    list_display = ["id", "sequence", "track", "keyframes", "state", "done", "total", "written", "left_to_annotator",
                    "attempts", "created_by", "created_at", "finished_at"]
    list_filter = ["state", "sequence"]
    search_fields = ["id", "sequence__name", "track__tag__name", "error"]
    readonly_fields = ["keyframes", *(f.name for f in ExtrapolationJob._meta.fields)]

    def has_add_permission(self, request) -> bool:
        return False  # jobs are started from the annotation page or the API

    @admin.display(description="keyframes")
    def keyframes(self, job: ExtrapolationJob) -> str:
        """The frames it propagated from, 1-based as the annotation page numbers them (mask ids are in
        keyframe_ids)."""
        indices = sorted(set(Mask.objects.filter(id__in=job.keyframe_ids).values_list("frame__index", flat=True)))
        if not indices:
            return "–"
        numbers = ", ".join(str(frame_number(i)) for i in indices)
        return f"frame {numbers}" if len(indices) == 1 else f"frames {numbers}"


@admin.register(RejectedFrame)
class RejectedFrameAdmin(admin.ModelAdmin):
    """Where people rejected a track's proposal: its reruns leave the frame empty. Deleting one lets the next
    run propose there again."""

    list_display = ["track", "frame", "rejected_by", "rejected_at"]
    list_filter = ["track__sequence"]
    readonly_fields = ["track", "frame", "rejected_by", "rejected_at"]

    def has_add_permission(self, request) -> bool:
        return False  # made by rejecting a proposal on the annotation page
